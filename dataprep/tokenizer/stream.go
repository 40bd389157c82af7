package tokenizer

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// StreamDecoder turns ids into text one at a time, as a model samples them.
// Byte-level BPE can split a character's UTF-8 bytes across tokens, so a
// token may end in the middle of one: those bytes are held back until the
// character is complete. Bytes that can never form a character become
// U+FFFD, so everything returned is valid UTF-8. Not safe for concurrent use.
type StreamDecoder struct {
	t       *Tokenizer
	pending []byte
}

// NewStreamDecoder returns a StreamDecoder for t.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder { return &StreamDecoder{t: t} }

// Next returns the text that id completes, possibly empty. An id outside
// the vocabulary is an error.
func (d *StreamDecoder) Next(id int32) (string, error) {
	b, ok := d.t.TokenBytes(id)
	if !ok {
		return "", fmt.Errorf("token id %d out of range [0, %d)", id, d.t.VocabSize())
	}
	d.pending = append(d.pending, b...)
	cut := completeLen(d.pending)
	out := validString(d.pending[:cut])
	d.pending = append(d.pending[:0], d.pending[cut:]...)
	return out, nil
}

// Flush returns what is held back (as U+FFFD: the sequence never completed)
// and empties the decoder, as at the end of an answer.
func (d *StreamDecoder) Flush() string {
	out := validString(d.pending)
	d.pending = d.pending[:0]
	return out
}

// completeLen is the length of the longest prefix of b that does not end
// in the first bytes of a character that more bytes could complete.
func completeLen(b []byte) int {
	// A UTF-8 sequence is at most 4 bytes: look back at most 3 for its start.
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// validString replaces each run of bytes that is not UTF-8 with one U+FFFD,
// as Python's errors="replace" does for a truncated sequence.
func validString(b []byte) string { return strings.ToValidUTF8(string(b), "\uFFFD") }
