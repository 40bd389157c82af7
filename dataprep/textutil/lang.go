package textutil

import "unicode/utf8"

// Lang is the script-based language of a document, as written to the
// "language" column by the clean stage.
type Lang uint8

// Languages. The guess is script-based: LangEN stands for Latin-script text
// (English in practice for our corpora), LangZH for Han-script text without
// kana or hangul.
const (
	LangOther Lang = iota
	LangEN
	LangZH
)

// String returns "en", "zh" or "other".
func (l Lang) String() string {
	switch l {
	case LangEN:
		return "en"
	case LangZH:
		return "zh"
	}
	return "other"
}

// ParseLang maps "en", "zh" and "other" back to a Lang; ok is false for
// anything else.
func ParseLang(s string) (l Lang, ok bool) {
	switch s {
	case "en":
		return LangEN, true
	case "zh":
		return LangZH, true
	case "other":
		return LangOther, true
	}
	return LangOther, false
}

// ScriptCounts counts the letters of a text per script.
type ScriptCounts struct {
	Latin, Han, Kana, Hangul, Other int
}

// Add counts one rune.
func (c *ScriptCounts) Add(r rune) {
	switch RuneScript(r) {
	case ScriptLatin:
		c.Latin++
	case ScriptHan:
		c.Han++
	case ScriptKana:
		c.Kana++
	case ScriptHangul:
		c.Hangul++
	case ScriptOther:
		c.Other++
	}
}

// Letters is the total number of letters counted.
func (c ScriptCounts) Letters() int { return c.Latin + c.Han + c.Kana + c.Hangul + c.Other }

// Lang decides the language from the counts.
//
// A Han character carries roughly the content of a short English word
// (about 3 Latin letters), so Han counts are weighted by 3 before comparing:
// a Chinese page quoting English terms stays "zh", an English page with a
// few Chinese names stays "en". Kana or hangul beyond a trace make the text
// Japanese or Korean, which are "other".
func (c ScriptCounts) Lang() Lang {
	if c.Letters() == 0 {
		return LangOther
	}
	han := 3 * c.Han
	total := han + c.Latin + c.Kana + c.Hangul + c.Other
	switch {
	case han*2 > total && (c.Kana+c.Hangul)*10 < c.Han:
		return LangZH
	case c.Latin*2 > total:
		return LangEN
	}
	return LangOther
}

// DetectLang returns the script-based language of s (see ScriptCounts.Lang).
// Pure-ASCII text costs one table lookup per byte.
func DetectLang(s string) Lang {
	var c ScriptCounts
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if asciiScript[b] == ScriptLatin {
				c.Latin++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		c.Add(r)
		i += n
	}
	return c.Lang()
}
