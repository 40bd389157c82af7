package tokenizer

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
)

// Trainer learns a BPE vocabulary. Feed it text with Add, then call Train.
// Add may be called from one goroutine at a time; it counts in parallel
// itself. Results do not depend on GOMAXPROCS or on how text is batched
// across Add calls, only on the documents and their order-free counts.
type Trainer struct {
	cfg    Config
	pre    PreTokenizer
	index  map[string]int32
	counts []int64
	bytes  int64
	onStep func(merges, target int)
}

// OnProgress sets a function Train calls every 256 merges with the merges
// done and the most it will make.
func (tr *Trainer) OnProgress(fn func(merges, target int)) { tr.onStep = fn }

// NewTrainer checks cfg and returns an empty Trainer.
func NewTrainer(cfg Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Trainer{cfg: cfg, pre: PreTokenizer{HanChunk: cfg.HanChunk}, index: map[string]int32{}}, nil
}

// Bytes returns how many bytes of text were counted so far.
func (tr *Trainer) Bytes() int64 { return tr.bytes }

// Full reports whether MaxBytes of text have been counted.
func (tr *Trainer) Full() bool { return tr.cfg.MaxBytes > 0 && tr.bytes >= tr.cfg.MaxBytes }

// Add counts the pre-tokens of docs, each document cut on its own. Documents
// beyond MaxBytes are ignored.
func (tr *Trainer) Add(docs [][]byte) {
	if tr.cfg.MaxBytes > 0 {
		for i, d := range docs {
			if tr.bytes >= tr.cfg.MaxBytes {
				docs = docs[:i]
				break
			}
			tr.bytes += int64(len(d))
		}
	} else {
		for _, d := range docs {
			tr.bytes += int64(len(d))
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(docs))
	if workers <= 1 {
		tr.countInto(tr.index, &tr.counts, docs)
		return
	}
	// Split by bytes so workers finish together, count locally, then merge:
	// sums do not depend on the split.
	var total int
	for _, d := range docs {
		total += len(d)
	}
	parts := make([][][]byte, 0, workers)
	start, acc := 0, 0
	for i, d := range docs {
		acc += len(d)
		if acc >= total*(len(parts)+1)/workers && len(parts) < workers-1 {
			parts = append(parts, docs[start:i+1])
			start = i + 1
		}
	}
	parts = append(parts, docs[start:])
	type local struct {
		index  map[string]int32
		counts []int64
	}
	locals := make([]local, len(parts))
	var wg sync.WaitGroup
	for w := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := local{index: map[string]int32{}}
			tr.countInto(l.index, &l.counts, parts[w])
			locals[w] = l
		}()
	}
	wg.Wait()
	for _, l := range locals {
		for word, i := range l.index {
			tr.addCount(tr.index, &tr.counts, word, l.counts[i])
		}
	}
}

func (tr *Trainer) countInto(index map[string]int32, counts *[]int64, docs [][]byte) {
	for _, d := range docs {
		for i := 0; i < len(d); {
			j := tr.pre.next(d, i)
			if k, ok := index[string(d[i:j])]; ok {
				(*counts)[k]++
			} else {
				index[string(d[i:j])] = int32(len(*counts))
				*counts = append(*counts, 1)
			}
			i = j
		}
	}
}

func (tr *Trainer) addCount(index map[string]int32, counts *[]int64, word string, n int64) {
	if k, ok := index[word]; ok {
		(*counts)[k] += n
		return
	}
	index[word] = int32(len(*counts))
	*counts = append(*counts, n)
}

// Train runs the merges and returns the tokenizer. It checks ctx between
// merges.
func (tr *Trainer) Train(ctx context.Context) (*Tokenizer, error) {
	cfg := tr.cfg
	vocab, added, byteID := baseVocab(cfg.SpecialTokens, cfg.VocabSize)
	ids := make(map[string]int32, cfg.VocabSize)
	for i, v := range vocab {
		ids[v] = int32(i)
	}
	reserved := make(map[string]bool, len(cfg.SpecialTokens))
	for _, s := range cfg.SpecialTokens {
		reserved[s] = true
	}

	words, freqs := tr.words(byteID)
	st := newPairState(words, freqs)
	var merges []Pair
	merged := map[uint64]bool{}
	minFreq := int64(max(cfg.MinFrequency, 1))
	for len(vocab) < cfg.VocabSize {
		if len(merges)%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if tr.onStep != nil {
				tr.onStep(len(merges), cfg.VocabSize-len(cfg.SpecialTokens)-256)
			}
		}
		p, n, ok := st.best()
		if !ok || n < minFreq {
			break
		}
		tok := vocab[p.Left] + vocab[p.Right]
		if reserved[tok] {
			// A learned token may not spell a special token: the vocabulary
			// maps each string to one id.
			st.forbid(p)
			continue
		}
		id, exists := ids[tok]
		if !exists {
			id = int32(len(vocab))
			vocab = append(vocab, tok)
			ids[tok] = id
		}
		// When a merge recreates an existing token by another split, pairs
		// merged before can reappear. Applying them again keeps the word
		// state right; recording them twice would give the file duplicate
		// merges.
		if k := pairKey(p.Left, p.Right); !merged[k] {
			merged[k] = true
			merges = append(merges, p)
		}
		st.merge(p, id)
	}
	return build(tr.pre, vocab, added, merges)
}

// baseVocab lays out the ids every trained tokenizer starts with: special
// tokens first, then the 256 byte tokens in byte-level alphabet order, as
// GPT-2 and the Hugging Face trainer (which sorts its alphabet) number them.
func baseVocab(specials []string, capacity int) (vocab []string, added []AddedToken, byteID [256]int32) {
	vocab = make([]string, 0, capacity)
	for _, s := range specials {
		added = append(added, AddedToken{ID: int32(len(vocab)), Content: s, Special: true})
		vocab = append(vocab, s)
	}
	order := make([]int, 256)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return int(byteRunes[a]) - int(byteRunes[b]) })
	for _, b := range order {
		byteID[b] = int32(len(vocab))
		vocab = append(vocab, byteStrings[b])
	}
	return vocab, added, byteID
}

// words returns the distinct pre-tokens as byte-token ids, sorted by bytes so
// pair bookkeeping and tie-breaks do not depend on map order.
func (tr *Trainer) words(byteID [256]int32) ([][]int32, []int64) {
	keys := make([]string, 0, len(tr.index))
	for w := range tr.index {
		keys = append(keys, w)
	}
	slices.Sort(keys)
	words := make([][]int32, len(keys))
	freqs := make([]int64, len(keys))
	var total int
	for _, k := range keys {
		total += len(k)
	}
	flat := make([]int32, 0, total)
	for i, k := range keys {
		start := len(flat)
		for j := 0; j < len(k); j++ {
			flat = append(flat, byteID[k[j]])
		}
		words[i] = flat[start:len(flat):len(flat)]
		freqs[i] = tr.counts[tr.index[k]]
	}
	return words, freqs
}

// Train counts docs and trains a tokenizer in one call.
func Train(ctx context.Context, docs [][]byte, cfg Config) (*Tokenizer, error) {
	tr, err := NewTrainer(cfg)
	if err != nil {
		return nil, err
	}
	tr.Add(docs)
	tok, err := tr.Train(ctx)
	if err != nil {
		return nil, fmt.Errorf("train tokenizer: %w", err)
	}
	return tok, nil
}
