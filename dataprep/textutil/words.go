package textutil

import (
	"unicode"
	"unicode/utf8"
)

// Kind is the kind of a token.
type Kind uint8

// Token kinds.
const (
	// Word is a run of letters, digits, marks and underscores in a spaced
	// script, with inner apostrophes (don't), hyphens (well-known) and digit
	// separators (3.14, 1,000) kept inside.
	Word Kind = iota + 1
	// CJK is a single Han or kana character: the word unit for scripts
	// written without spaces.
	CJK
	// Punct is a run of punctuation and symbols with no letter or digit.
	Punct
)

// Token is one token of a text as byte offsets into it.
type Token struct {
	Start, End int  // s[Start:End] is the token
	Kind       Kind // Word, CJK or Punct
	Runes      int  // number of runes
	Alpha      bool // holds at least one letter (always true for CJK)
}

// Text returns the token's text within s.
func (t Token) Text(s string) string { return s[t.Start:t.End] }

type class uint8

const (
	clSpace class = iota
	clWord
	clCJK
	clPunct
)

// asciiClass classifies ASCII bytes; asciiAlpha marks letters.
var asciiClass, asciiAlpha = func() (c [128]class, a [128]bool) {
	for i := range c {
		c[i] = clPunct
	}
	for i := 0; i <= ' '; i++ {
		c[i] = clSpace // controls count as separators
	}
	c[0x7f] = clSpace
	for i := '0'; i <= '9'; i++ {
		c[i] = clWord
	}
	for i := 'a'; i <= 'z'; i++ {
		c[i], c[i-32] = clWord, clWord
		a[i], a[i-32] = true, true
	}
	c['_'] = clWord
	return c, a
}()

func runeClass(r rune) (class, bool) {
	if r < utf8.RuneSelf {
		return asciiClass[r], asciiAlpha[r]
	}
	// Fast answers for the blocks that dominate Chinese text.
	switch {
	case r >= 0x4E00 && r <= 0x9FFF:
		return clCJK, true
	case r >= 0x3000 && r <= 0x303F:
		switch {
		case r == 0x3000:
			return clSpace, false
		case r == 0x3005 || r == 0x3007:
			return clCJK, true
		}
		return clPunct, false
	case r >= 0xFF01 && r <= 0xFF5E:
		switch {
		case r >= 0xFF10 && r <= 0xFF19:
			return clWord, false
		case r >= 0xFF21 && r <= 0xFF3A, r >= 0xFF41 && r <= 0xFF5A:
			return clWord, true
		}
		return clPunct, false
	case r >= 0x2010 && r <= 0x2027:
		return clPunct, false
	}
	switch {
	case IsCJK(r):
		return clCJK, true
	case unicode.IsLetter(r):
		return clWord, true
	case unicode.IsDigit(r) || unicode.Is(unicode.M, r):
		return clWord, false
	case unicode.IsSpace(r) || r == 0x200B || r == 0xFEFF:
		return clSpace, false
	}
	return clPunct, false
}

// Flags of byteFlags.
const (
	fWord  = 1 << iota // ASCII letter, digit or underscore
	fAlpha             // ASCII letter
)

// byteFlags classifies bytes for the word loop; bytes of multi-byte runes
// are 0 and send the loop to the full decoder.
var byteFlags = func() (t [256]uint8) {
	for b := 0; b < 128; b++ {
		if asciiClass[b] == clWord {
			t[b] |= fWord
		}
		if asciiAlpha[b] {
			t[b] |= fAlpha
		}
	}
	return t
}()

// prevKind reports whether the rune ending at byte i is a letter, or an
// ASCII digit.
func (t *Tokenizer) prevKind(i int) (alpha, digit bool) {
	if b := t.s[i-1]; b < utf8.RuneSelf {
		return asciiAlpha[b], b >= '0' && b <= '9'
	}
	r, _ := utf8.DecodeLastRuneInString(t.s[:i])
	_, a := runeClass(r)
	return a, false
}

// Tokenizer splits a string into tokens without allocating. The zero value
// is not usable; use NewTokenizer.
type Tokenizer struct {
	s string
	i int
}

// NewTokenizer returns a tokenizer positioned at the start of s.
func NewTokenizer(s string) Tokenizer { return Tokenizer{s: s} }

// Reset restarts the tokenizer on a new string.
func (t *Tokenizer) Reset(s string) { t.s, t.i = s, 0 }

// decode returns the rune at byte i, its width, class and letter flag.
func (t *Tokenizer) decode(i int) (rune, int, class, bool) {
	b := t.s[i]
	if b < utf8.RuneSelf {
		return rune(b), 1, asciiClass[b], asciiAlpha[b]
	}
	if b >= 0xE0 && b < 0xF0 && i+2 < len(t.s) {
		// Three-byte sequences (all of CJK) decoded inline; the range
		// check rejects overlong forms and surrogates.
		c1, c2 := t.s[i+1], t.s[i+2]
		if c1&0xC0 == 0x80 && c2&0xC0 == 0x80 {
			r := rune(b&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F)
			if r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
				c, a := runeClass(r)
				return r, 3, c, a
			}
		}
	}
	r, n := utf8.DecodeRuneInString(t.s[i:])
	c, a := runeClass(r)
	return r, n, c, a
}

// Next returns the next token; ok is false at the end of the string.
func (t *Tokenizer) Next() (tok Token, ok bool) {
	s := t.s
	i := t.i
	// Skip separators.
	var (
		r rune
		n int
		c class
		a bool
	)
	for {
		if i >= len(s) {
			t.i = i
			return Token{}, false
		}
		if b := s[i]; b < utf8.RuneSelf {
			if c = asciiClass[b]; c == clSpace {
				i++
				continue
			}
			r, n, a = rune(b), 1, asciiAlpha[b]
			break
		}
		if b := s[i]; b >= 0xE4 && b <= 0xE9 && i+2 < len(s) {
			// CJK unified ideographs (U+4E00-U+9FFF) decoded inline: one
			// token per character is the hot path of Chinese text.
			if c1, c2 := s[i+1], s[i+2]; c1&0xC0 == 0x80 && c2&0xC0 == 0x80 && (b > 0xE4 || c1 >= 0xB8) {
				t.i = i + 3
				return Token{Start: i, End: i + 3, Kind: CJK, Runes: 1, Alpha: true}, true
			}
		}
		r, n, c, a = t.decode(i)
		if c != clSpace {
			break
		}
		i += n
	}
	tok.Start = i
	switch c {
	case clCJK:
		tok.Kind, tok.Runes, tok.Alpha = CJK, 1, true
		i += n
	case clPunct:
		tok.Kind = Punct
		for i < len(s) {
			if b := s[i]; b < utf8.RuneSelf {
				if asciiClass[b] != clPunct {
					break
				}
				tok.Runes++
				i++
				continue
			}
			_, n, c, _ = t.decode(i)
			if c != clPunct {
				break
			}
			tok.Runes++
			i += n
		}
	default:
		tok.Kind = Word
		tok.Alpha = a
		tok.Runes = 1
		i += n
		for i < len(s) {
			// ASCII letters and digits are the bulk of most text: one
			// flag load per byte.
			start := i
			var acc uint8
			for i < len(s) {
				f := byteFlags[s[i]]
				if f&fWord == 0 {
					break
				}
				acc |= f
				i++
			}
			tok.Runes += i - start
			tok.Alpha = tok.Alpha || acc&fAlpha != 0
			if i >= len(s) {
				break
			}
			r, n, c, a = t.decode(i)
			if c == clWord {
				tok.Runes++
				tok.Alpha = tok.Alpha || a
				i += n
				continue
			}
			if c != clPunct || i+n >= len(s) {
				break
			}
			// A joiner stays inside the word when a word character follows.
			r2, n2, c2, a2 := t.decode(i + n)
			if c2 != clWord {
				break
			}
			prevAlpha, prevDigit := t.prevKind(i)
			join := false
			switch r {
			case '\'', '\u2019':
				join = prevAlpha && a2
			case '-':
				join = true
			case '.', ',':
				join = prevDigit && r2 >= '0' && r2 <= '9'
			}
			if !join {
				break
			}
			tok.Runes += 2
			tok.Alpha = tok.Alpha || a2
			i += n + n2
		}
	}
	tok.End = i
	t.i = i
	return tok, true
}

// AppendWords appends the Word and CJK tokens of s (punctuation skipped) to
// dst as substrings of s and returns the extended slice.
func AppendWords(dst []string, s string) []string {
	t := NewTokenizer(s)
	for {
		tok, ok := t.Next()
		if !ok {
			return dst
		}
		if tok.Kind != Punct {
			dst = append(dst, s[tok.Start:tok.End])
		}
	}
}

// CountWords returns the number of Word and CJK tokens in s.
func CountWords(s string) int {
	t := NewTokenizer(s)
	n := 0
	for {
		tok, ok := t.Next()
		if !ok {
			return n
		}
		if tok.Kind != Punct {
			n++
		}
	}
}
