package eval

import (
	"context"

	"github.com/llmflow/llmflow/model"
)

// continuation is a context and a continuation scored given it.
type continuation struct {
	ctx, cont []int32
}

// contScore is the log-probability of a continuation given its context:
// the sum over its tokens, how many were scored, and whether the context
// (or, past n_positions, the continuation) was cut to fit.
type contScore struct {
	logProb   float64
	tokens    int
	truncated bool
}

// fit cuts a sequence to n_positions+1 tokens: the context loses tokens
// from its start, down to one; then the continuation loses its end.
func fit(c continuation, P int) (continuation, bool) {
	if len(c.ctx)+len(c.cont) <= P+1 {
		return c, false
	}
	if len(c.cont) > P {
		return continuation{ctx: c.ctx[len(c.ctx)-1:], cont: c.cont[:P]}, true
	}
	return continuation{ctx: c.ctx[len(c.ctx)+len(c.cont)-P-1:], cont: c.cont}, true
}

// scoreContinuations runs up to rows sequences per forward pass, padded at
// the end (causal attention keeps padding out of earlier positions), and
// returns each continuation's log-probability from the model's per-token
// cross-entropy. Contexts must not be empty.
func scoreContinuations(ctx context.Context, m *model.Model, cs []continuation, rows int, progress func(done int)) ([]contScore, error) {
	P := m.MaxTokens()
	out := make([]contScore, len(cs))
	var inputs, targets, full []int32
	for lo := 0; lo < len(cs); lo += rows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := append([]continuation(nil), cs[lo:min(lo+rows, len(cs))]...)
		T := 1
		for i := range batch {
			c, cut := fit(batch[i], P)
			batch[i], out[lo+i].truncated = c, cut
			T = max(T, len(c.ctx)+len(c.cont)-1)
		}
		B := len(batch)
		inputs, targets = inputs[:0], targets[:0]
		for _, c := range batch {
			full = append(append(full[:0], c.ctx...), c.cont...)
			for j := 0; j < T; j++ {
				in, tg := int32(0), int32(-1) // padding
				if j+1 < len(full) {
					in = full[j]
					if j+1 >= len(c.ctx) {
						tg = full[j+1]
					}
				}
				inputs, targets = append(inputs, in), append(targets, tg)
			}
		}
		// The output head runs on the continuation's targets only.
		fb := model.Batch{B: B, T: T, Inputs: inputs, Targets: targets, HeadOnTargets: true}
		if _, _, err := m.ForwardBatch(fb); err != nil {
			return nil, err
		}
		losses := m.Losses()
		for b := range batch {
			s := &out[lo+b]
			for t := 0; t < T; t++ {
				if targets[b*T+t] >= 0 {
					s.logProb -= float64(losses[b*T+t])
					s.tokens++
				}
			}
		}
		if progress != nil {
			progress(lo + B)
		}
	}
	return out, nil
}
