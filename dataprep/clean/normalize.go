package clean

import (
	"math/bits"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/llmflow/llmflow/dataprep/textutil"
)

// normalizer holds the text-level steps and their reusable buffers.
type normalizer struct {
	form      norm.Form
	useForm   bool
	html      bool
	invisible bool
	ws        bool
	buf, tmp  []byte
	htmlBuf   []byte
	nonASCII  bool // the last normalize result holds non-ASCII runes
	kc        bool // the form is NFKC
	// Filled by filter: letters per script of the kept text, and whether a
	// kept rune might not be in normal form already.
	scripts  textutil.ScriptCounts
	needNorm bool
	invalid  bool // the input held invalid UTF-8
}

func newNormalizer(c Config) *normalizer {
	n := &normalizer{html: c.StripHTML, invisible: c.RemoveInvisible, ws: c.NormalizeWhitespace}
	switch c.Normalization {
	case NormNFKC:
		n.form, n.useForm, n.kc = norm.NFKC, true, true
	case NormNone:
	default:
		n.form, n.useForm = norm.NFC, true
	}
	return n
}

// normalize returns the normalised text. The result aliases the
// normalizer's buffer and is valid until the next call.
func (n *normalizer) normalize(s string) []byte {
	n.invalid = false
	// Every step's output is about its input's size: sizing the buffers
	// once avoids append's repeated growth, which on a long document
	// allocates several times the text.
	if n.html {
		n.htmlBuf = stripHTML(reserve(n.htmlBuf, len(s)), s)
		s = bytesString(n.htmlBuf)
	}
	n.buf = n.filter(reserve(n.buf, len(s)), s)
	// Text made only of runes that are stable under the form (ASCII, Han,
	// common CJK and Latin punctuation...) needs no normalisation check.
	if n.needNorm && n.useForm && !n.form.IsNormal(n.buf) {
		n.tmp = n.form.Append(reserve(n.tmp, len(n.buf)+len(n.buf)/8), n.buf...)
		// NFKC can turn compatibility spaces into runs of ASCII spaces, and
		// composition never creates characters the filter removes, so one
		// more filter pass makes the result a fixed point.
		n.buf = n.filter(n.buf[:0], bytesString(n.tmp))
	}
	return n.buf
}

// filter appends s to dst without invisible characters and invalid UTF-8,
// with whitespace normalised. It also counts letters per script and notes
// whether any kept rune may need Unicode normalisation.
func (n *normalizer) filter(dst []byte, s string) []byte {
	base := len(dst)
	ws, inv := n.ws, n.invisible
	nonASCII, needNorm, invalid := false, false, false
	var sc textutil.ScriptCounts
	asciiLetters := 0
	pendSpace, pendNL := false, 0
	flush := func() {
		if pendNL > 0 {
			if len(dst) > base {
				dst = append(dst, '\n')
				if pendNL > 1 {
					dst = append(dst, '\n')
				}
			}
			pendNL, pendSpace = 0, false
		} else if pendSpace {
			if len(dst) > base && dst[len(dst)-1] != '\n' {
				dst = append(dst, ' ')
			}
			pendSpace = false
		}
	}
	for i := 0; i < len(s); {
		b := s[i]
		if b > ' ' && b < 0x7f {
			j := i + 1
			asciiLetters += int(asciiLetter[b])
			// A run is printable ASCII with single spaces between visible
			// characters: it needs no change, so it is copied in one go.
			// Eight bytes at a time first.
			for j+8 <= len(s) {
				v := load64(s[j:])
				const hi = 0x8080808080808080
				if v&hi != 0 || (v+0x6060606060606060)&hi != hi || (v+0x0101010101010101)&hi != 0 {
					break // a non-ASCII, control or DEL byte
				}
				// Bytes are now 0x20..0x7E; spaces are those below 0x21.
				sp := ^(v + 0x5F5F5F5F5F5F5F5F) & hi
				if sp&(sp<<8) != 0 || sp>>56 != 0 {
					break // two spaces in a row, or a space that may end the run
				}
				// Letters are the bytes whose lower-cased value is in a..z.
				x := v | 0x2020202020202020
				asciiLetters += bits.OnesCount64((x + 0x1F1F1F1F1F1F1F1F) &^ (x + 0x0505050505050505) & hi)
				j += 8
			}
			for j < len(s) {
				c := s[j]
				if c > ' ' && c < 0x7f {
					asciiLetters += int(asciiLetter[c])
					j++
					continue
				}
				if c == ' ' && j+1 < len(s) && s[j+1] > ' ' && s[j+1] < 0x7f {
					j += 2
					asciiLetters += int(asciiLetter[s[j-1]])
					continue
				}
				break
			}
			if pendSpace || pendNL > 0 {
				flush()
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		if b < utf8.RuneSelf {
			i++
			if !ws {
				if b == ' ' || b == '\t' || b == '\n' || b == '\r' || !inv {
					dst = append(dst, b)
				}
				continue
			}
			switch {
			case b == ' ' || b == '\t':
				pendSpace = true
			case b == '\n' || b == '\v' || b == '\f':
				pendNL++
			case b == '\r':
				pendNL++
				if i < len(s) && s[i] == '\n' {
					i++
				}
			case inv:
				// C0 control or DEL: dropped.
			default:
				flush()
				dst = append(dst, b)
			}
			continue
		}
		if j := hanRun(s, i); j > i {
			// A run of Han characters: the bulk of Chinese text, stable
			// under NFC and NFKC, copied in one go.
			if pendSpace || pendNL > 0 {
				flush()
			}
			nonASCII = true
			sc.Han += (j - i) / 3
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		r, size := decodeRune(s, i)
		if r == utf8.RuneError && size == 1 {
			i++ // invalid UTF-8 byte: dropped so the output is always valid
			invalid = true
			continue
		}
		if ws {
			if isHSpace(r) {
				pendSpace = true
				i += size
				continue
			}
			if r == 0x85 || r == 0x2028 || r == 0x2029 {
				pendNL++
				i += size
				continue
			}
		}
		if inv && isInvisible(r) {
			i += size
			continue
		}
		flush()
		nonASCII = true
		switch {
		case r >= 0x4E00 && r <= 0x9FFF:
			sc.Han++
		case r >= 0x3000 && r <= 0x303F && r != 0x3005 && r != 0x3007, r >= 0x2000 && r <= 0x206F,
			r >= 0xFF01 && r <= 0xFF20, r >= 0xFF3B && r <= 0xFF40, r >= 0xFF5B && r <= 0xFF65:
			// CJK, general and fullwidth punctuation: no script
		default:
			sc.Add(r)
		}
		if !needNorm && !formStable(r, n.kc) {
			needNorm = true
		}
		dst = append(dst, s[i:i+size]...)
		i += size
	}
	if !ws {
		flush()
	}
	sc.Latin += asciiLetters
	n.scripts, n.nonASCII, n.needNorm = sc, nonASCII, needNorm
	n.invalid = n.invalid || invalid
	return dst
}

// asciiLetter is 1 for ASCII letters.
var asciiLetter = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-32] = 1, 1
	}
	return t
}()

// formStable reports runes that are unchanged by NFC (kc false) or NFKC
// (kc true) and never combine with a neighbour (quick-check Yes, combining
// class 0), so that a text made only of them is already normalised. The
// ranges cover Chinese text: CJK unified ideographs, CJK punctuation, and
// for NFC also Latin-1, fullwidth forms and general punctuation.
func formStable(r rune, kc bool) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF:
		return true
	case r >= 0x3001 && r <= 0x3029:
		return true
	case r >= 0x2018 && r <= 0x201F, r == 0x2013, r == 0x2014:
		return true
	}
	if kc {
		return false
	}
	switch {
	case r >= 0xC0 && r <= 0x17F:
		return r != 0x132 && r != 0x133 && r != 0x13F && r != 0x140 && r != 0x149 && r != 0x17F
	case r >= 0xA1 && r <= 0xBF, r == 0xD7, r == 0xF7:
		return true
	case r >= 0x2010 && r <= 0x2027:
		return true
	case r >= 0xFF01 && r <= 0xFF5E:
		return true
	case r >= 0x3030 && r <= 0x3035:
		return true
	}
	return false
}

// isHSpace reports Unicode horizontal spaces other than ASCII ones.
func isHSpace(r rune) bool {
	switch {
	case r == 0xA0, r == 0x1680, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	case r >= 0x2000 && r <= 0x200A:
		return true
	}
	return false
}

// isInvisible reports non-ASCII characters that render as nothing and only
// get in the way of matching and tokenising: C1 controls, soft hyphen,
// zero-width space, directional marks and embeddings, word joiner and
// invisible operators, BOM, interlinear annotation and tag characters.
func isInvisible(r rune) bool {
	switch {
	case r < 0xA0:
		return true // C1 controls
	case r == 0xAD, r == 0x61C, r == 0x180E, r == 0xFEFF:
		return true
	case r >= 0x200B && r <= 0x200F:
		return r != 0x200C && r != 0x200D // keep ZWNJ and ZWJ
	case r >= 0x202A && r <= 0x202E, r >= 0x2060 && r <= 0x206F:
		return true
	case r >= 0xFFF9 && r <= 0xFFFC, r == 0xFFFE, r == 0xFFFF:
		return true
	case r >= 0xE0000 && r <= 0xE007F:
		return true
	}
	return false
}

// load64 reads 8 bytes of s little-endian (the compiler merges the loads).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// decodeRune is utf8.DecodeRuneInString(s[i:]) with three-byte sequences,
// all of CJK, decoded inline.
func decodeRune(s string, i int) (rune, int) {
	if b := s[i]; b >= 0xE0 && b < 0xF0 && i+2 < len(s) {
		c1, c2 := s[i+1], s[i+2]
		if c1&0xC0 == 0x80 && c2&0xC0 == 0x80 {
			r := rune(b&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F)
			if r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
				return r, 3
			}
		}
	}
	return utf8.DecodeRuneInString(s[i:])
}

// hanRun returns the end of the run of CJK unified ideographs
// (U+4E00-U+9FFF, three UTF-8 bytes each) starting at byte i, or i.
func hanRun(s string, i int) int {
	j := i
	for j+2 < len(s) {
		b := s[j]
		if b < 0xE4 || b > 0xE9 {
			break
		}
		c1, c2 := s[j+1], s[j+2]
		if c1&0xC0 != 0x80 || c2&0xC0 != 0x80 || (b == 0xE4 && c1 < 0xB8) {
			break // not a continuation, or below U+4E00
		}
		j += 3
	}
	return j
}
