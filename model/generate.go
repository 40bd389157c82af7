package model

import (
	"fmt"
	"slices"
)

// Generate appends up to maxNew tokens to prompt, each drawn by s from the
// logits of the last position, and returns the new tokens. Generation stops
// early after the token stop (pass -1 for none). Contexts longer than the
// model's MaxTokens keep their last MaxTokens tokens. An empty prompt
// starts from the BOS token.
//
// Up to MaxTokens tokens the KV-cache Decoder does one position's work per
// token; past it, positions are absolute, so every new token needs a full
// forward pass over the shifted window.
func (m *Model) Generate(prompt []int32, maxNew int, s *Sampler, stop int32) ([]int32, error) {
	var stops []int32
	if stop >= 0 {
		stops = []int32{stop}
	}
	return m.GenerateStream(prompt, maxNew, s, stops, nil)
}

// GenerateStream is Generate with several stop ids and a callback: fn (if
// not nil) sees each new token as soon as it is drawn, the stop token
// included, and returns false to end generation there (an interrupted
// answer). The returned tokens are those fn saw.
func (m *Model) GenerateStream(prompt []int32, maxNew int, s *Sampler, stop []int32, fn func(id int32) bool) ([]int32, error) {
	ctx := append([]int32(nil), prompt...)
	if len(ctx) == 0 {
		ctx = append(ctx, int32(m.Config.BOSTokenID))
	}
	P := m.MaxTokens()
	d := m.NewDecoder()
	var logits []float32
	var err error
	if len(ctx) > P {
		logits, err = m.lastLogits(ctx)
	} else {
		for _, id := range ctx {
			if logits, err = d.Feed(id); err != nil {
				break
			}
		}
	}
	var out []int32
	for err == nil && len(out) < maxNew {
		id := int32(s.Sample(logits))
		out = append(out, id)
		ctx = append(ctx, id)
		if (fn != nil && !fn(id)) || slices.Contains(stop, id) || len(out) == maxNew {
			break
		}
		if len(ctx) > P {
			logits, err = m.lastLogits(ctx)
		} else {
			logits, err = d.Feed(id)
		}
	}
	return out, err
}

// lastLogits runs a forward pass over the last MaxTokens tokens of ctx and
// returns the logits of its final position.
func (m *Model) lastLogits(ctx []int32) ([]float32, error) {
	P := m.MaxTokens()
	window := ctx[max(0, len(ctx)-P):]
	m.Reserve(1, P) // the longest window up front: no regrowth per token
	if _, _, err := m.Forward(window, nil, nil, 1, len(window)); err != nil {
		return nil, err
	}
	return m.Logits(0, len(window)-1), nil
}

// BatchOptions are the settings of GenerateBatch.
type BatchOptions struct {
	MaxNew int   // tokens generated per prompt at most
	Rows   int   // prompts decoded together (the batch); 0 means 1
	Stop   int32 // token that ends a continuation, kept in it; -1 for none
	// Done, when set, is called after every new token of prompt i with the
	// continuation so far; true ends it there (a stop sequence in text).
	Done func(i int, out []int32) bool
}

// GenerateBatch continues every prompt with tokens drawn by its own sampler
// (samplers[i] for prompts[i], so a continuation depends only on its prompt
// and sampler, not on the batch) and returns the new tokens per prompt.
// Up to Rows prompts share each decoding step; a row freed by a finished
// continuation takes the next prompt. An empty prompt starts from the BOS
// token; a prompt longer than MaxTokens keeps its last MaxTokens tokens,
// and a continuation also ends when its context is full.
func (m *Model) GenerateBatch(prompts [][]int32, samplers []*Sampler, o BatchOptions) ([][]int32, error) {
	if len(samplers) != len(prompts) {
		return nil, fmt.Errorf("model: %d samplers for %d prompts", len(samplers), len(prompts))
	}
	P, V := m.MaxTokens(), m.Config.VocabSize
	out := make([][]int32, len(prompts))
	if o.MaxNew <= 0 || len(prompts) == 0 {
		return out, nil
	}
	type slot struct {
		i   int     // prompt index, -1 when free
		ctx []int32 // prompt tokens still to feed
	}
	slots := make([]slot, min(max(o.Rows, 1), len(prompts)))
	d := m.NewBatchDecoder(len(slots))
	next := 0
	rows, ids := make([]int, 0, len(slots)), make([]int32, 0, len(slots))
	for s := range slots {
		slots[s].i = -1
	}
	for {
		rows, ids = rows[:0], ids[:0]
		for s := range slots {
			sl := &slots[s]
			if sl.i < 0 && next < len(prompts) {
				sl.i, sl.ctx = next, prompts[next]
				if len(sl.ctx) == 0 {
					sl.ctx = []int32{int32(m.Config.BOSTokenID)}
				}
				sl.ctx = sl.ctx[max(0, len(sl.ctx)-P):]
				d.Reset(s)
				next++
			}
			switch {
			case sl.i < 0:
				continue
			case len(sl.ctx) > 0:
				ids = append(ids, sl.ctx[0])
				sl.ctx = sl.ctx[1:]
			default:
				gen := out[sl.i]
				ids = append(ids, gen[len(gen)-1])
			}
			rows = append(rows, s)
		}
		if len(rows) == 0 {
			return out, nil
		}
		logits, err := d.Step(rows, ids)
		if err != nil {
			return out, err
		}
		for r, s := range rows {
			sl := &slots[s]
			if len(sl.ctx) > 0 {
				continue // still reading its prompt
			}
			id := int32(samplers[sl.i].Sample(logits[r*V : (r+1)*V]))
			gen := append(out[sl.i], id)
			out[sl.i] = gen
			if id == o.Stop || len(gen) >= o.MaxNew || d.Len(s) >= P || (o.Done != nil && o.Done(sl.i, gen)) {
				sl.i = -1
			}
		}
	}
}
