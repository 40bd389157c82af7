package pretrain

import (
	"math"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// EvalResult sums a model's loss over a dataset.
type EvalResult struct {
	LossSum float64 // nats, summed over targets
	Targets int64   // positions with a target
	Bytes   int64   // text bytes the targets stand for (0 without a tokenizer)
}

// Loss is the mean loss in nats per token.
func (r EvalResult) Loss() float64 { return r.LossSum / float64(max(r.Targets, 1)) }

// Perplexity is exp(Loss).
func (r EvalResult) Perplexity() float64 { return math.Exp(r.Loss()) }

// BPB is bits per byte of target text (NaN when bytes are unknown).
func (r EvalResult) BPB() float64 {
	if r.Bytes == 0 {
		return math.NaN()
	}
	return r.LossSum / math.Ln2 / float64(r.Bytes)
}

// Evaluate runs m over the examples of d in order, B rows of T tokens at a
// time, for at most maxBatches batches (0: all). Buffers of B*T ids may be
// passed to avoid allocation (nil allocates).
func Evaluate(m *model.Model, tok *tokenizer.Tokenizer, d *Data, B, T, maxBatches int, in, tg, seg []int32) (EvalResult, error) {
	if in == nil {
		in, tg, seg = make([]int32, B*T), make([]int32, B*T), make([]int32, B*T)
	}
	nb := (len(d.Examples) + B - 1) / B
	if maxBatches > 0 {
		nb = min(nb, maxBatches)
	}
	var r EvalResult
	for b := 0; b < nb; b++ {
		for row := 0; row < B; row++ {
			i := b*B + row
			lo, hi := row*T, (row+1)*T
			if i >= len(d.Examples) {
				fill(in[lo:hi], tg[lo:hi], seg[lo:hi], nil, nil, T)
				continue
			}
			fill(in[lo:hi], tg[lo:hi], seg[lo:hi], d.Examples[i], d.DocStarts[i], T)
		}
		s, c, err := m.Forward(in, tg, seg, B, T)
		if err != nil {
			return r, err
		}
		r.LossSum += s
		r.Targets += int64(c)
		r.Bytes += targetBytes(tok, tg)
	}
	return r, nil
}

// targetBytes counts the text bytes the targets stand for; added (special)
// tokens count as none.
func targetBytes(tok *tokenizer.Tokenizer, targets []int32) int64 {
	if tok == nil {
		return 0
	}
	var n int64
	for _, id := range targets {
		if id < 0 {
			continue
		}
		if s, ok := tok.Token(id); ok {
			if _, special := tok.SpecialID(s); special {
				continue
			}
		}
		if b, ok := tok.TokenBytes(id); ok {
			n += int64(len(b))
		}
	}
	return n
}
