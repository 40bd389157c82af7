package dedup

import (
	"unicode"
	"unicode/utf8"

	"github.com/llmflow/llmflow/dataprep/textutil"
)

// Byte classes of the tokenizer's ASCII fast path.
const (
	clsSep   = iota // space, punctuation, control
	clsWord         // lower-case letter or digit
	clsUpper        // upper-case letter, folded to lower case
	clsHigh         // first byte of a multi-byte sequence
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			t[c] = clsWord
		case c >= 'A' && c <= 'Z':
			t[c] = clsUpper
		case c >= 0x80:
			t[c] = clsHigh
		}
	}
	return t
}()

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// mix64 is the murmur3 finaliser: FNV alone leaves the high bits of short
// words poorly mixed, and the permutations read the high bits.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// unspaced reports whether r belongs to a script written without spaces
// between words, where every character is a token of its own: Han and kana
// as textutil classifies them, and the Southeast Asian scripts.
func unspaced(r rune) bool {
	switch {
	case r < 0x0e00:
		return false
	case r <= 0x0eff, // Thai, Lao
		r >= 0x1000 && r <= 0x109f, // Myanmar
		r >= 0x1780 && r <= 0x17ff: // Khmer
		return true
	}
	return textutil.IsCJK(r)
}

// tokenize appends one 64-bit hash per token of s to dst: a word (run of
// letters, digits and marks, case-folded) or a single character of an
// unspaced script. It also returns how many tokens were unspaced characters,
// which decides the shingle size of the document.
func tokenize(s string, dst []uint64) ([]uint64, int) {
	h := uint64(fnvOffset)
	inWord := false
	unsp := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch byteClass[c] {
		case clsWord:
			h = (h ^ uint64(c)) * fnvPrime
			inWord = true
			i++
		case clsUpper:
			h = (h ^ uint64(c|0x20)) * fnvPrime
			inWord = true
			i++
		case clsSep:
			if inWord {
				dst = append(dst, mix64(h))
				h, inWord = fnvOffset, false
			}
			i++
		default:
			var r rune
			size := 3
			// Fast path for the three-byte sequences of CJK text.
			if c >= 0xe0 && c < 0xf0 && i+2 < len(s) && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 {
				r = rune(c&0x0f)<<12 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f)
				if r >= 0x4e00 && r <= 0x9fff { // CJK unified ideographs
					i += 3
					if inWord {
						dst = append(dst, mix64(h))
						h, inWord = fnvOffset, false
					}
					dst = append(dst, mix64((fnvOffset^uint64(r))*fnvPrime))
					unsp++
					continue
				}
				if fastSep(r) {
					i += 3
					if inWord {
						dst = append(dst, mix64(h))
						h, inWord = fnvOffset, false
					}
					continue
				}
				if r < 0x800 || (r >= 0xd800 && r <= 0xdfff) {
					r, size = utf8.DecodeRuneInString(s[i:])
				}
			} else {
				r, size = utf8.DecodeRuneInString(s[i:])
			}
			i += size
			switch {
			case unspaced(r):
				if inWord {
					dst = append(dst, mix64(h))
					h, inWord = fnvOffset, false
				}
				dst = append(dst, mix64((fnvOffset^uint64(r))*fnvPrime))
				unsp++
			case r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)):
				h = (h ^ uint64(unicode.ToLower(r))) * fnvPrime
				inWord = true
			default:
				if inWord {
					dst = append(dst, mix64(h))
					h, inWord = fnvOffset, false
				}
			}
		}
	}
	if inWord {
		dst = append(dst, mix64(h))
	}
	return dst, unsp
}

// shingles appends the hash of every run of k consecutive tokens to dst. A
// document shorter than k tokens yields one shingle of all its tokens.
func shingles(toks []uint64, k int, dst []uint64) []uint64 {
	if len(toks) == 0 {
		return dst
	}
	if len(toks) < k {
		k = len(toks)
	}
	if k == 1 {
		return append(dst, toks...)
	}
	for i := 0; i+k <= len(toks); i++ {
		w := toks[i : i+k]
		h := w[0]
		for _, t := range w[1:] {
			h = (h^(h>>29))*0x9e3779b97f4a7c15 + t
		}
		dst = append(dst, mix64(h))
	}
	return dst
}

// fastSep reports the punctuation of CJK text that separates tokens without
// a trip through the Unicode tables: general punctuation (“” — …), CJK
// symbols and punctuation (、。《》 but not the ideographic marks 々 〇) and
// the fullwidth punctuation forms (，：！？).
func fastSep(r rune) bool {
	switch {
	case r >= 0x2000 && r <= 0x206f:
		return true
	case r >= 0x3000 && r <= 0x3029:
		return r < 0x3005 || r > 0x3007
	case r == 0x3030 || (r >= 0x303d && r <= 0x303f):
		return true
	case r >= 0xff01 && r <= 0xff65:
		return !(r >= 0xff10 && r <= 0xff19) && !(r >= 0xff21 && r <= 0xff3a) && !(r >= 0xff41 && r <= 0xff5a)
	}
	return false
}

// spaceToken stands for a run of spaces and punctuation in char mode.
var spaceToken = mix64(fnvOffset ^ 0x5bd1e995)

// tokenizeChars is tokenize for Config.Shingles "char": every letter or
// digit (case-folded) is a token, and a run of anything else between two of
// them is one space token, so "Hello, world" and "hello world" agree while
// "the rapist" and "therapist" do not.
func tokenizeChars(s string, dst []uint64) ([]uint64, int) {
	unsp := 0
	gap := false
	for i := 0; i < len(s); {
		c := s[i]
		var r rune
		if c < utf8.RuneSelf {
			i++
			switch byteClass[c] {
			case clsWord:
				r = rune(c)
			case clsUpper:
				r = rune(c | 0x20)
			default:
				gap = true
				continue
			}
		} else {
			var size int
			r, size = utf8.DecodeRuneInString(s[i:])
			i += size
			switch {
			case unspaced(r):
				unsp++
			case r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)):
				r = unicode.ToLower(r)
			default:
				gap = true
				continue
			}
		}
		if gap && len(dst) > 0 {
			dst = append(dst, spaceToken)
		}
		gap = false
		dst = append(dst, mix64((fnvOffset^uint64(r))*fnvPrime))
	}
	return dst, unsp
}
