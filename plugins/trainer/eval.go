package trainer

import (
	"math"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// EvalResult sums a model's loss over a dataset.
type EvalResult struct {
	LossSum float64 // nats, summed over targets
	Targets int64   // positions with a target that counts
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

// EvalOptions shape an evaluation.
type EvalOptions struct {
	BatchSize, BlockSize int
	MaxBatches           int // 0: every example
	// ResetPositionIDs numbers positions from each document's start, as the
	// model was trained (Config.ResetPositionIDs).
	ResetPositionIDs bool
}

// Evaluate runs m over the examples of d in order, BatchSize rows of
// BlockSize tokens at a time, for at most MaxBatches batches. tok (may be
// nil) turns targets into text bytes for bits per byte.
func Evaluate(m *model.Model, tok *tokenizer.Tokenizer, d *Data, o EvalOptions) (EvalResult, error) {
	return evaluate(m, tok, d, o, newBuffers(o.BatchSize, o.BlockSize))
}

// evaluate is Evaluate with the caller's buffers of at least BatchSize rows.
func evaluate(m *model.Model, tok *tokenizer.Tokenizer, d *Data, o EvalOptions, buf *buffers) (EvalResult, error) {
	B := o.BatchSize
	nb := (len(d.Examples) + B - 1) / B
	if o.MaxBatches > 0 {
		nb = min(nb, o.MaxBatches)
	}
	var r EvalResult
	for b := 0; b < nb; b++ {
		for row := 0; row < B; row++ {
			if i := b*B + row; i < len(d.Examples) {
				fill(buf.row(row), d.Examples[i], d.DocStarts[i], d.mask(i))
			} else {
				fill(buf.row(row), nil, nil, nil)
			}
		}
		batch := buf.batch(0, B, o.ResetPositionIDs)
		// Only the targets that count need the output head (a prompt's do
		// not): drop the others, which add nothing to either sum.
		for i, w := range batch.Weights {
			if w == 0 {
				batch.Targets[i] = -1
			}
		}
		batch.HeadOnTargets = true
		s, w, err := m.ForwardBatch(batch)
		if err != nil {
			return r, err
		}
		r.LossSum += s
		r.Targets += int64(w)
		r.Bytes += targetBytes(tok, batch.Targets, batch.Weights)
	}
	return r, nil
}

// targetBytes counts the text bytes the targets that count stand for; added
// (special) tokens count as none.
func targetBytes(tok *tokenizer.Tokenizer, targets []int32, weights []float32) int64 {
	if tok == nil {
		return 0
	}
	var n int64
	for i, id := range targets {
		if id < 0 || weights[i] == 0 {
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
