package tokenizer

import "unicode/utf8"

// byteRunes is GPT-2's fixed byte-to-unicode map (openai/gpt-2 encoder.py,
// bytes_to_unicode): printable Latin-1 bytes map to themselves, the others to
// U+0100 upwards in byte order, so every byte has a visible stand-in.
var byteRunes [256]rune

// runeBytes inverts byteRunes; entries for runes outside the map are -1.
var runeBytes map[rune]byte

// byteStrings caches the UTF-8 form of each byteRunes entry.
var byteStrings [256]string

func init() {
	n := 0
	runeBytes = make(map[rune]byte, 256)
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteRunes[b] = rune(b)
		} else {
			byteRunes[b] = rune(256 + n)
			n++
		}
		runeBytes[byteRunes[b]] = byte(b)
		byteStrings[b] = string(byteRunes[b])
	}
}

// bytesToUnicode renders raw bytes in the byte-level alphabet.
func bytesToUnicode(b []byte) string {
	buf := make([]byte, 0, 2*len(b))
	for _, c := range b {
		buf = utf8.AppendRune(buf, byteRunes[c])
	}
	return string(buf)
}

// unicodeToBytes maps a byte-level string back to raw bytes; ok is false when
// s holds a rune outside the alphabet.
func unicodeToBytes(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := runeBytes[r]
		if !ok {
			return nil, false
		}
		out = append(out, b)
	}
	return out, true
}
