package tokenizer

import (
	"bytes"
	"context"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// tinyCorpus is small enough to check by hand and to train in microseconds.
var tinyCorpus = [][]byte{
	[]byte("the cat sat on the mat. the cat ate the rat."),
	[]byte("The theme of the thesis: there, then, the end.\n"),
	[]byte("孙悟空和猪八戒。孙悟空说：好！"),
}

func tinyConfig() Config {
	c := DefaultConfig()
	c.VocabSize = len(c.SpecialTokens) + 256 + 30
	c.MinFrequency = 1
	return c
}

func trainTiny(t testing.TB) *Tokenizer {
	t.Helper()
	tok, err := Train(context.Background(), tinyCorpus, tinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sharedTokenizer trains on the English and Chinese shared texts once.
func sharedTokenizer(tb testing.TB, vocab int) *Tokenizer {
	tb.Helper()
	docs := bytes.SplitAfter(readShared(tb, "pretrain-en/wiki_demo.txt"), []byte("\n"))
	docs = append(docs, bytes.SplitAfter(readShared(tb, "pretrain-en/tinyshakespeare.txt"), []byte("\n\n"))...)
	docs = append(docs, bytes.SplitAfter(readShared(tb, "pretrain-zh/xiyouji.txt"), []byte("\n"))...)
	cfg := DefaultConfig()
	cfg.VocabSize = vocab
	tok, err := Train(context.Background(), docs, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// naiveEncode is the textbook BPE: rescan every pair, merge the lowest rank,
// leftmost. It checks the fast encoder.
func naiveEncode(t *Tokenizer, text []byte) []int32 {
	var out []int32
	t.pre.Split(text, func(piece []byte) {
		var syms []int32
		for _, c := range piece {
			syms = append(syms, t.byteID[c])
		}
		for {
			best, bi := uint64(1<<63), -1
			for i := 0; i+1 < len(syms); i++ {
				if v, ok := t.mergeMap.get(pairKey(syms[i], syms[i+1])); ok && v>>32 < best>>32 {
					best, bi = v, i
				}
			}
			if bi < 0 {
				break
			}
			syms[bi] = int32(uint32(best))
			syms = slices.Delete(syms, bi+1, bi+2)
		}
		out = append(out, syms...)
	})
	return out
}

func TestSpecialTokensFirst(t *testing.T) {
	tok := trainTiny(t)
	for i, s := range DefaultSpecialTokens {
		id, ok := tok.SpecialID(s)
		if !ok || id != int32(i) {
			t.Errorf("%s: id %d, %v; want %d", s, id, ok, i)
		}
	}
	if tok.VocabSize() != tinyConfig().VocabSize {
		t.Errorf("vocab size %d, want %d", tok.VocabSize(), tinyConfig().VocabSize)
	}
	text := []byte("the cat<|endoftext|>the rat<|im_start|>")
	plain := tok.Encode(text)
	if slices.Contains(plain, 0) || slices.Contains(plain, 1) {
		t.Errorf("Encode turned special-token text into a special id: %v", plain)
	}
	withSpecial := tok.NewEncoder().EncodeWithSpecial(nil, text)
	if withSpecial[len(withSpecial)-1] != 1 || !slices.Contains(withSpecial, 0) {
		t.Errorf("EncodeWithSpecial missed special tokens: %v", withSpecial)
	}
	for _, ids := range [][]int32{plain, withSpecial} {
		if got, _ := tok.Decode(ids); !bytes.Equal(got, text) {
			t.Errorf("decode %q, want %q", got, text)
		}
	}
	if _, err := tok.Decode([]int32{int32(tok.VocabSize())}); err == nil {
		t.Error("Decode accepted an id out of range")
	}
}

func TestEncodeMatchesNaive(t *testing.T) {
	tok := trainTiny(t)
	e := tok.NewEncoder()
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		doc := tinyCorpus[r.IntN(len(tinyCorpus))]
		a := r.IntN(len(doc))
		text := doc[a : a+r.IntN(len(doc)-a+1)]
		if i%3 == 0 {
			// Long pre-tokens take the heap path.
			text = bytes.Repeat([]byte("thethe"), 10+r.IntN(40))
		}
		got := e.Encode(nil, text)
		want := naiveEncode(tok, text)
		if !slices.Equal(got, want) {
			t.Fatalf("%q: got %v, want %v", text, got, want)
		}
	}
}

func TestRoundTripRandomBytes(t *testing.T) {
	tok := trainTiny(t)
	e := tok.NewEncoder()
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 500; i++ {
		b := make([]byte, r.IntN(300))
		for j := range b {
			b[j] = byte(r.UintN(256))
		}
		ids := e.Encode(nil, b)
		got, err := tok.Decode(ids)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("round trip failed for %q: %q %v", b, got, err)
		}
	}
}

// TestRoundTripSharedData encodes every shared data file whole and decodes it
// back byte for byte, with the plain GPT-2 rule and with Han isolated.
func TestRoundTripSharedData(t *testing.T) {
	files := sharedFiles(t)
	tok := sharedTokenizer(t, 2048)
	plain := rebuild(t, tok, PreTokenizer{})
	for _, f := range files {
		data := readFile(t, f)
		for _, tk := range []*Tokenizer{tok, plain} {
			ids := tk.Encode(data)
			got, err := tk.Decode(ids)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s (han_chunk %d): round trip differs", f, tk.pre.HanChunk)
			}
			// The first 200 kB also go through the textbook encoder.
			head := data[:min(len(data), 200_000)]
			if !slices.Equal(tk.Encode(head), naiveEncode(tk, head)) {
				t.Errorf("%s (han_chunk %d): fast and naive encoders differ", f, tk.pre.HanChunk)
			}
			if n := len(data); n > 0 && len(ids) >= n {
				t.Errorf("%s: %d tokens for %d bytes: no compression", f, len(ids), n)
			}
		}
	}
}

// rebuild returns tok with another pre-tokenizer (same vocabulary and merges).
func rebuild(tb testing.TB, tok *Tokenizer, pre PreTokenizer) *Tokenizer {
	tb.Helper()
	t2, err := build(pre, tok.vocab, tok.added, tok.merges)
	if err != nil {
		tb.Fatal(err)
	}
	return t2
}

func TestTrainDeterministicAcrossGOMAXPROCS(t *testing.T) {
	docs := bytes.SplitAfter(readShared(t, "pretrain-en/tinyshakespeare.txt")[:300000], []byte("\n"))
	docs = append(docs, bytes.SplitAfter(readShared(t, "pretrain-zh/xiyouji.txt")[:300000], []byte("\n"))...)
	cfg := DefaultConfig()
	cfg.VocabSize = 1500
	var outs [][]byte
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		tok, err := Train(context.Background(), docs, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := tok.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b.Bytes())
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Fatalf("tokenizer.json differs between GOMAXPROCS settings (run %d)", i)
		}
	}
}

// naiveTrain recounts every pair each round; it checks the incremental trainer.
func naiveTrain(docs [][]byte, cfg Config) []Pair {
	tr, _ := NewTrainer(cfg)
	tr.Add(docs)
	vocab, _, byteID := baseVocab(cfg.SpecialTokens, cfg.VocabSize)
	words, freqs := tr.words(byteID)
	var merges []Pair
	for len(vocab) < cfg.VocabSize {
		counts := map[uint64]int64{}
		for w, word := range words {
			for i := 0; i+1 < len(word); i++ {
				counts[pairKey(word[i], word[i+1])] += freqs[w]
			}
		}
		var bestK uint64
		var bestN int64
		for k, n := range counts {
			if n > bestN || (n == bestN && k < bestK) {
				bestK, bestN = k, n
			}
		}
		if bestN < int64(max(cfg.MinFrequency, 1)) {
			break
		}
		p := Pair{int32(bestK >> 32), int32(uint32(bestK))}
		tokStr := vocab[p.Left] + vocab[p.Right]
		id := int32(slices.Index(vocab, tokStr))
		if id < 0 {
			id = int32(len(vocab))
			vocab = append(vocab, tokStr)
		}
		merges = append(merges, p)
		for w, word := range words {
			var out []int32
			for i := 0; i < len(word); i++ {
				if i+1 < len(word) && word[i] == p.Left && word[i+1] == p.Right {
					out = append(out, id)
					i++
				} else {
					out = append(out, word[i])
				}
			}
			words[w] = out
		}
	}
	return merges
}

func TestTrainMatchesNaive(t *testing.T) {
	docs := append(slices.Clone(tinyCorpus), []byte("aaaa aaaaa abab ababab aaa baba"), []byte("aaaaaaa ab ab ba"))
	cfg := DefaultConfig()
	cfg.VocabSize = len(cfg.SpecialTokens) + 256 + 60
	tok, err := Train(context.Background(), docs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := naiveTrain(docs, cfg)
	if !slices.Equal(tok.Merges(), want) {
		t.Fatalf("merges differ from the naive trainer:\n got %v\nwant %v", tok.Merges(), want)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []func(*Config){
		func(c *Config) { c.VocabSize = 100 },
		func(c *Config) { c.MinFrequency = -1 },
		func(c *Config) { c.SpecialTokens = []string{"<a>", "<a>"} },
		func(c *Config) { c.SpecialTokens = []string{""} },
		func(c *Config) { c.SpecialTokens = []string{"Ġ"} },
		func(c *Config) { c.HanChunk = -1 },
	}
	for i, mod := range bad {
		c := DefaultConfig()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("case %d: invalid config accepted", i)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Error(err)
	}
}

func TestWithAddedTokens(t *testing.T) {
	tok, err := Train(context.Background(), [][]byte{[]byte("hello world hello world")},
		Config{VocabSize: 300, MinFrequency: 1, SpecialTokens: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	n := tok.VocabSize()
	grown, added, err := tok.WithAddedTokens([]string{"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|im_start|>"})
	if err != nil {
		t.Fatal(err)
	}
	if added != 2 || grown.VocabSize() != n+2 || tok.VocabSize() != n {
		t.Fatalf("added %d, vocab %d -> %d (original now %d)", added, n, grown.VocabSize(), tok.VocabSize())
	}
	if id, _ := grown.SpecialID("<|im_end|>"); id != int32(n+1) {
		t.Errorf("<|im_end|> id %d, want %d", id, n+1)
	}
	ids := grown.NewEncoder().EncodeWithSpecial(nil, []byte("<|im_start|>hello<|im_end|>"))
	if ids[0] != int32(n) || ids[len(ids)-1] != int32(n+1) {
		t.Errorf("specials not encoded as one id each: %v", ids)
	}
	if same, added, err := grown.WithAddedTokens([]string{"<|im_end|>"}); err != nil || added != 0 || same != grown {
		t.Errorf("re-adding: %v %d %v", same == grown, added, err)
	}
	for _, bad := range []string{"", "\xff", "h"} {
		if _, _, err := tok.WithAddedTokens([]string{bad}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
