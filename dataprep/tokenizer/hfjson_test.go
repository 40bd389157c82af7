package tokenizer

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenTokenizerJSON pins the file written for the tiny corpus. The
// golden file was checked by hand against the Hugging Face tokenizers
// serialization (tokenizers >= 0.20: merges as pairs, vocab by id, added
// tokens with all six flags, ByteLevel pre-tokenizer behind a Han Split).
func TestGoldenTokenizerJSON(t *testing.T) {
	tok := trainTiny(t)
	var b bytes.Buffer
	if err := tok.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "tiny.tokenizer.json")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("tokenizer.json differs from %s (run with -update after checking the change)", golden)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, k := range []int{0, 1, 2} {
		tok := rebuild(t, trainTiny(t), PreTokenizer{HanChunk: k})
		path := filepath.Join(t.TempDir(), FileName)
		if err := tok.Save(path); err != nil {
			t.Fatal(err)
		}
		back, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if back.pre != tok.pre || !slices.Equal(back.vocab, tok.vocab) || !slices.Equal(back.merges, tok.merges) ||
			!slices.Equal(back.added, tok.added) {
			t.Fatalf("han_chunk %d: loaded tokenizer differs", k)
		}
		for _, d := range tinyCorpus {
			if !slices.Equal(back.Encode(d), tok.Encode(d)) {
				t.Fatalf("han_chunk %d: loaded tokenizer encodes differently", k)
			}
		}
	}
}

// TestLoadLegacyMerges reads the older "a b" merge strings.
func TestLoadLegacyMerges(t *testing.T) {
	var b bytes.Buffer
	tok := trainTiny(t)
	if err := tok.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, m := range tok.merges {
		pair := "[" + quote(tok.vocab[m.Left]) + ", " + quote(tok.vocab[m.Right]) + "]"
		legacy := quote(tok.vocab[m.Left] + " " + tok.vocab[m.Right])
		s = strings.Replace(s, pair, legacy, 1)
	}
	back, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.merges, tok.merges) {
		t.Fatal("legacy merges parsed differently")
	}
}

func TestLoadHostile(t *testing.T) {
	var b bytes.Buffer
	if err := trainTiny(t).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	cases := []struct {
		name, old, new, want string
	}{
		{"not json", good, "{", "not a tokenizer.json"},
		{"wrong model type", `"type": "BPE"`, `"type": "WordPiece"`, "model.type"},
		{"model wrong type", `"model": {`, `"model": 7, "x": {`, "not a tokenizer.json"},
		{"huge id", `"!": 4`, `"!": 1e999`, "out of range"},
		{"negative id", `"!": 4`, `"!": -4`, "out of range"},
		{"fractional id", `"!": 4`, `"!": 4.5`, "out of range"},
		{"id as string", `"!": 4`, `"!": "4"`, "must be a number"},
		{"duplicate token", `"\"": 5`, `"!": 5`, "appears twice"},
		{"duplicate id", `"\"": 5`, `"\"": 4`, "used by both"},
		{"gap in ids", `"\"": 5`, `"\"": 900`, "unused"},
		{"unknown merge token", `["t", "he"]`, `["t", "zz"]`, "not in the vocabulary"},
		{"merge of three", `["t", "he"]`, `["t", "h", "e"]`, "two tokens"},
		{"merge wrong type", `["t", "he"]`, `[1, 2]`, "want"},
		{"normalizer", `"normalizer": null`, `"normalizer": {"type": "NFC"}`, "normalizer"},
		{"prefix space", `"add_prefix_space": false`, `"add_prefix_space": true`, "add_prefix_space"},
		{"other pre-tokenizer", `"type": "Sequence"`, `"type": "Whitespace"`, "pre_tokenizer"},
		{"added id out of range", `{"id": 0,`, `{"id": 99999999999,`, "out of range"},
		{"added content mismatch", `"content": "<|pad|>"`, `"content": "<|pads|>"`, "added_tokens"},
		{"byte fallback", `"byte_fallback": false`, `"byte_fallback": true`, "byte_fallback"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(good, tc.old, tc.new, 1)
			if doc == good {
				t.Fatalf("fixture %q not found", tc.old)
			}
			_, err := Parse([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	var b bytes.Buffer
	if err := trainTiny(f).WriteJSON(&b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a"]}, "pre_tokenizer": {"type": "ByteLevel"}}`))
	f.Add([]byte(`{"model": {"vocab": {"a": 99999999999999999999}}}`))
	f.Add([]byte(`{"added_tokens": [{"id": -1, "content": ""}], "model": {"vocab": {}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Parse(data)
		if err != nil {
			return
		}
		// A file that loads must encode and decode losslessly.
		text := []byte("the cat 孙悟空 \xff")
		out, err := tok.Decode(tok.Encode(text))
		if err != nil || !bytes.Equal(out, text) {
			t.Fatalf("loaded tokenizer does not round-trip: %q %v", out, err)
		}
	})
}

func FuzzEncode(f *testing.F) {
	tok := trainTiny(f)
	for _, d := range tinyCorpus {
		f.Add(d)
	}
	f.Add([]byte("\xff\xfe<|endoftext|>  \n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		e := tok.NewEncoder()
		ids := e.Encode(nil, text)
		if out, err := tok.Decode(ids); err != nil || !bytes.Equal(out, text) {
			t.Fatalf("round trip failed: %q", out)
		}
		if !slices.Equal(ids, naiveEncode(tok, text)) {
			t.Fatal("differs from the naive encoder")
		}
		ids = e.EncodeWithSpecial(nil, text)
		if out, err := tok.Decode(ids); err != nil || !bytes.Equal(out, text) {
			t.Fatalf("round trip with specials failed: %q", out)
		}
	})
}
