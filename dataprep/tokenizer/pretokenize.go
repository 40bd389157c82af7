package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Character classes of the GPT-2 pre-tokenizer rule.
const (
	clsOther  uint8 = iota // [^\s\p{L}\p{N}], and any invalid UTF-8 byte
	clsLetter              // \p{L}
	clsNumber              // \p{N}
	clsSpace               // \s (Unicode White_Space)
	clsHan                 // \p{Han}, only when Han runs are isolated
)

var asciiClass [utf8.RuneSelf]uint8

func init() {
	for c := 0; c < utf8.RuneSelf; c++ {
		r := rune(c)
		switch {
		case unicode.IsLetter(r):
			asciiClass[c] = clsLetter
		case unicode.IsNumber(r):
			asciiClass[c] = clsNumber
		case unicode.IsSpace(r):
			asciiClass[c] = clsSpace
		default:
			asciiClass[c] = clsOther
		}
	}
}

// PreTokenizer cuts text into the pieces BPE merges stay inside: the GPT-2
// rule, preceded by isolating runs of at most HanChunk Han characters
// (HanChunk 0 disables that step). The zero value is plain GPT-2.
type PreTokenizer struct {
	// HanChunk is the longest run of Han characters kept in one pre-token;
	// 0 leaves Han to the GPT-2 rule, where it counts as a letter.
	HanChunk int
}

// Split calls fn with each pre-token of text, in order; the pieces are
// sub-slices of text and concatenate back to it exactly.
func (p PreTokenizer) Split(text []byte, fn func(piece []byte)) {
	for i := 0; i < len(text); {
		j := p.next(text, i)
		fn(text[i:j])
		i = j
	}
}

// classAt returns the class and byte length of the rune starting at s[i].
func (p PreTokenizer) classAt(s []byte, i int) (uint8, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, size := utf8.DecodeRune(s[i:])
	if r == utf8.RuneError && size <= 1 {
		return clsOther, 1
	}
	return p.classRune(r), size
}

func (p PreTokenizer) classRune(r rune) uint8 {
	switch {
	case p.HanChunk > 0 && r >= 0x2E80 && unicode.Is(unicode.Han, r):
		return clsHan
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// next returns the end of the pre-token that starts at s[i]. A Han chunk acts
// as the end of the string for the GPT-2 rule, which is what running the rule
// on each piece between Han chunks (the Split-then-ByteLevel sequence in
// tokenizer.json) does.
func (p PreTokenizer) next(s []byte, i int) int {
	c := s[i]
	if c == '\'' && i+1 < len(s) {
		// Contractions come first in the GPT-2 alternation; they are case-sensitive.
		switch s[i+1] {
		case 's', 't', 'm', 'd':
			return i + 2
		case 'r', 'v':
			if i+2 < len(s) && s[i+2] == 'e' {
				return i + 3
			}
		case 'l':
			if i+2 < len(s) && s[i+2] == 'l' {
				return i + 3
			}
		}
	}
	cls, size := p.classAt(s, i)
	if c == ' ' && i+1 < len(s) {
		// " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": a single leading space
		// joins the run that follows it.
		ncls, nsize := p.classAt(s, i+1)
		if ncls == clsLetter || ncls == clsNumber || ncls == clsOther {
			return p.runEnd(s, i+1+nsize, ncls)
		}
	}
	switch cls {
	case clsHan:
		j, n := i+size, 1
		for j < len(s) && n < p.HanChunk {
			k, sz := p.classAt(s, j)
			if k != clsHan {
				break
			}
			j += sz
			n++
		}
		return j
	case clsSpace:
		// "\s+(?!\S)" then "\s+": a whitespace run followed by a non-space
		// gives its last rune to the next pre-token, unless that rune is alone.
		j, last := i+size, i
		for j < len(s) {
			k, sz := p.classAt(s, j)
			if k == clsHan {
				return j
			}
			if k != clsSpace {
				if last > i {
					return last
				}
				return j
			}
			last = j
			j += sz
		}
		return j
	default:
		return p.runEnd(s, i+size, cls)
	}
}

// runEnd extends a run of class cls from s[j].
func (p PreTokenizer) runEnd(s []byte, j int, cls uint8) int {
	for j < len(s) {
		c := s[j]
		if c < utf8.RuneSelf {
			if asciiClass[c] != cls {
				return j
			}
			j++
			continue
		}
		k, sz := p.classAt(s, j)
		if k != cls {
			return j
		}
		j += sz
	}
	return j
}
