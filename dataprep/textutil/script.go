package textutil

import (
	"unicode"
	"unicode/utf8"
)

// Script is the writing system of a rune, reduced to what the dataprep rules
// need to tell apart.
type Script uint8

// Scripts. ScriptNone covers digits, punctuation, symbols, spaces and
// controls: runes that say nothing about the language of a text.
const (
	ScriptNone   Script = iota
	ScriptLatin         // Latin letters, including accented and fullwidth forms
	ScriptHan           // CJK unified ideographs (all extensions) and compatibility ideographs
	ScriptKana          // Hiragana and Katakana
	ScriptHangul        // Hangul syllables and jamo
	ScriptOther         // any other letter (Cyrillic, Greek, Arabic, Devanagari...)
)

// String returns the script's lower-case name.
func (s Script) String() string {
	switch s {
	case ScriptLatin:
		return "latin"
	case ScriptHan:
		return "han"
	case ScriptKana:
		return "kana"
	case ScriptHangul:
		return "hangul"
	case ScriptOther:
		return "other"
	}
	return "none"
}

// asciiScript classifies the ASCII range with one table load.
var asciiScript = func() (t [128]Script) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = ScriptLatin
		t[c-'a'+'A'] = ScriptLatin
	}
	return t
}()

// RuneScript returns the script of r. Combining marks return ScriptNone; the
// tokenizer keeps them inside the word they follow.
func RuneScript(r rune) Script {
	if r < utf8.RuneSelf {
		return asciiScript[r]
	}
	switch {
	case IsHan(r):
		return ScriptHan
	case r >= 0x3040 && r <= 0x30FF && r != 0x30FB && r != 0x30FC, r >= 0x31F0 && r <= 0x31FF, r >= 0xFF66 && r <= 0xFF9D:
		// 0x30FB (katakana middle dot) and 0x30FC (prolonged sound mark) are
		// shared with punctuation use; they carry no script signal.
		return ScriptKana
	case r >= 0xAC00 && r <= 0xD7A3, r >= 0x1100 && r <= 0x11FF, r >= 0x3130 && r <= 0x318F:
		return ScriptHangul
	case r >= 0xFF21 && r <= 0xFF3A, r >= 0xFF41 && r <= 0xFF5A:
		return ScriptLatin // fullwidth A-Z a-z
	}
	if !unicode.IsLetter(r) {
		return ScriptNone
	}
	if r <= 0x024F || (r >= 0x1E00 && r <= 0x1EFF) || (r >= 0x2C60 && r <= 0x2C7F) || (r >= 0xA720 && r <= 0xA7FF) {
		if unicode.Is(unicode.Latin, r) {
			return ScriptLatin
		}
	}
	return ScriptOther
}

// IsHan reports whether r is a CJK ideograph (unified, extensions A-H,
// compatibility ideographs) or the iteration mark 々 / 〇.
func IsHan(r rune) bool {
	switch {
	case r < 0x3005:
		return false
	case r >= 0x4E00 && r <= 0x9FFF:
		return true
	case r >= 0x3400 && r <= 0x4DBF:
		return true
	case r >= 0xF900 && r <= 0xFAFF:
		return true
	case r >= 0x20000 && r <= 0x323AF:
		return true
	case r == 0x3005 || r == 0x3007:
		return true
	}
	return false
}

// IsCJK reports whether r is written without spaces between words: Han or
// kana. The tokenizer makes each such rune a word of its own.
func IsCJK(r rune) bool {
	s := RuneScript(r)
	return s == ScriptHan || s == ScriptKana
}

// IsCJKPunct reports whether r is CJK punctuation (U+3000-U+303F) or a
// fullwidth punctuation form such as ，。！？ (U+FF01-U+FF65 excluding
// letters and digits).
func IsCJKPunct(r rune) bool {
	if r >= 0x3001 && r <= 0x303F {
		return r != 0x3005 && r != 0x3007
	}
	if r >= 0xFF01 && r <= 0xFF65 {
		return !(r >= 0xFF10 && r <= 0xFF19) && !(r >= 0xFF21 && r <= 0xFF3A) && !(r >= 0xFF41 && r <= 0xFF5A)
	}
	return r == 0x30FB
}
