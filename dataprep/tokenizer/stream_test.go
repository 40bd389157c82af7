package tokenizer

import (
	"context"
	"testing"
)

// TestStreamDecoder feeds byte tokens one at a time and checks that a
// character split across tokens appears only once complete, and that bytes
// which can never complete one become U+FFFD.
func TestStreamDecoder(t *testing.T) {
	tok, err := Train(context.Background(), [][]byte{[]byte("plain ascii text")},
		Config{VocabSize: 270, MinFrequency: 1, SpecialTokens: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	byteID := func(b byte) int32 {
		id, ok := tok.TokenID(bytesToUnicode([]byte{b}))
		if !ok {
			t.Fatalf("no token for byte %#x", b)
		}
		return id
	}
	eot, _ := tok.SpecialID("<|endoftext|>")
	for _, tc := range []struct {
		name  string
		bytes []byte // one token per byte
		want  []string
		flush string
	}{
		{"han split in three", []byte("中文"), []string{"", "", "中", "", "", "文"}, ""},
		{"ascii then partial", []byte("a\xe4\xb8\xad"), []string{"a", "", "", "中"}, ""},
		{"emoji split", []byte("😀!"), []string{"", "", "", "😀", "!"}, ""},
		{"stray continuation", []byte("\x80b"), []string{"\uFFFD", "b"}, ""},
		{"broken by ascii", []byte("\xe4\xb8a"), []string{"", "", "\uFFFDa"}, ""},
		{"truncated at end", []byte("x\xe4\xb8"), []string{"x", "", ""}, "\uFFFD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tok.NewStreamDecoder()
			for i, b := range tc.bytes {
				got, err := d.Next(byteID(b))
				if err != nil {
					t.Fatal(err)
				}
				if got != tc.want[i] {
					t.Errorf("token %d (%#x): got %q, want %q", i, b, got, tc.want[i])
				}
			}
			if got := d.Flush(); got != tc.flush {
				t.Errorf("flush: got %q, want %q", got, tc.flush)
			}
		})
	}
	t.Run("added token and range", func(t *testing.T) {
		d := tok.NewStreamDecoder()
		if got, err := d.Next(eot); err != nil || got != "<|endoftext|>" {
			t.Errorf("added token: %q, %v", got, err)
		}
		if _, err := d.Next(int32(tok.VocabSize())); err == nil {
			t.Error("id past the vocabulary: no error")
		}
	})
}
