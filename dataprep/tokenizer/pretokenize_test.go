package tokenizer

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// TestPreTokenizeGolden compares with pieces produced by Python's regex
// module running the GPT-2 pattern (with lookahead) on testdata/pretokenize.txt;
// for Han chunks, the Split regex ran first and the pattern on each gap.
func TestPreTokenizeGolden(t *testing.T) {
	text, err := os.ReadFile("testdata/pretokenize.txt")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/pretokenize.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var gold map[string]any
	if err := json.Unmarshal(raw, &gold); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key string
		k   int
	}{{"han_chunk_0", 0}, {"han_chunk_1", 1}, {"han_chunk_3", 3}} {
		t.Run(tc.key, func(t *testing.T) {
			var got []string
			PreTokenizer{HanChunk: tc.k}.Split(text, func(p []byte) { got = append(got, string(p)) })
			want := gold[tc.key].([]any)
			if len(got) != len(want) {
				t.Errorf("got %d pieces, want %d", len(got), len(want))
			}
			for i := range min(len(got), len(want)) {
				if got[i] != want[i].(string) {
					t.Fatalf("piece %d: got %q, want %q", i, got[i], want[i])
				}
			}
		})
	}
}

func TestPreTokenizeCases(t *testing.T) {
	cases := []struct {
		name string
		in   string
		k    int
		want []string
	}{
		{"words", "Hello world", 0, []string{"Hello", " world"}},
		{"contractions", "I'm they'll we've 'S", 0, []string{"I", "'m", " they", "'ll", " we", "'ve", " '", "S"}},
		{"space before word", "a  b", 0, []string{"a", " ", " b"}},
		{"trailing spaces", "a   ", 0, []string{"a", "   "}},
		{"newline then word", "a\nb", 0, []string{"a", "\n", "b"}},
		{"numbers", "x 2024 ½", 0, []string{"x", " 2024", " ½"}},
		{"han plain", "你好 世界", 0, []string{"你好", " 世界"}},
		{"han isolated", "你好 世界", 1, []string{"你", "好", " ", "世", "界"}},
		{"han runs of 2", "孙悟空说", 2, []string{"孙悟", "空说"}},
		{"invalid utf8", "a\xff\xfeb", 0, []string{"a", "\xff\xfe", "b"}},
		{"empty", "", 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			PreTokenizer{HanChunk: tc.k}.Split([]byte(tc.in), func(p []byte) { got = append(got, string(p)) })
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
			}
		})
	}
}

func FuzzPreTokenize(f *testing.F) {
	for _, s := range []string{"Hello world", "a  b\n\n c", "你好'sx", "\xff \xc3", "  \u3000中"} {
		f.Add([]byte(s), 1)
	}
	f.Fuzz(func(t *testing.T, text []byte, k int) {
		p := PreTokenizer{HanChunk: k & 7}
		var joined []byte
		p.Split(text, func(piece []byte) {
			if len(piece) == 0 {
				t.Fatal("empty piece")
			}
			joined = append(joined, piece...)
		})
		if !bytes.Equal(joined, text) {
			t.Fatalf("pieces do not concatenate back to the input")
		}
	})
}
