package model

import "slices"

// Generate appends up to maxNew tokens to prompt, each drawn by s from the
// logits of the last position, and returns the new tokens. Generation stops
// early after the token stop (pass -1 for none). Contexts longer than
// n_positions keep their last n_positions tokens. An empty prompt starts
// from the BOS token.
//
// Up to n_positions tokens the KV-cache Decoder does one position's work per
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
	P := m.Config.NPositions
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

// lastLogits runs a forward pass over the last n_positions tokens of ctx and
// returns the logits of its final position.
func (m *Model) lastLogits(ctx []int32) ([]float32, error) {
	P := m.Config.NPositions
	window := ctx[max(0, len(ctx)-P):]
	m.Reserve(1, P) // the longest window up front: no regrowth per token
	if _, _, err := m.Forward(window, nil, nil, 1, len(window)); err != nil {
		return nil, err
	}
	return m.Logits(0, len(window)-1), nil
}
