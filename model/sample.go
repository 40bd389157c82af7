package model

import (
	"math"
	"sort"
)

// Sampler draws the next token from a row of logits.
type Sampler struct {
	Temperature float64 // 0 means greedy (argmax)
	TopK        int     // keep the k most likely tokens; 0 keeps all
	TopP        float64 // keep the smallest set with probability mass >= p; 0 or 1 keeps all
	// Vocab, when positive, limits draws to ids below it: a model whose
	// embedding is padded past its tokenizer's vocabulary must never yield
	// an id the tokenizer cannot decode.
	Vocab int
	RNG   *RNG
	idx   []int
	prob  []float64
}

// Sample returns a token id drawn from logits.
func (s *Sampler) Sample(logits []float32) int {
	if s.Vocab > 0 && s.Vocab < len(logits) {
		logits = logits[:s.Vocab]
	}
	if s.Temperature <= 0 {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		return best
	}
	V := len(logits)
	if cap(s.idx) < V {
		s.idx, s.prob = make([]int, V), make([]float64, V)
	}
	idx, prob := s.idx[:V], s.prob[:V]
	for i := range idx {
		idx[i] = i
	}
	// Stable order: by logit descending, ties by id, so a seed fixes the draw.
	sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	k := V
	if s.TopK > 0 && s.TopK < k {
		k = s.TopK
	}
	maxv := float64(logits[idx[0]])
	var sum float64
	for i := 0; i < k; i++ {
		p := math.Exp((float64(logits[idx[i]]) - maxv) / s.Temperature)
		prob[i] = p
		sum += p
	}
	if s.TopP > 0 && s.TopP < 1 {
		var c float64
		for i := 0; i < k; i++ {
			c += prob[i] / sum
			if c >= s.TopP {
				k = i + 1
				break
			}
		}
		sum = 0
		for i := 0; i < k; i++ {
			sum += prob[i]
		}
	}
	r := s.RNG.Float64() * sum
	for i := 0; i < k; i++ {
		r -= prob[i]
		if r < 0 {
			return idx[i]
		}
	}
	return idx[k-1]
}
