package model

import "fmt"

// Generate appends up to maxNew tokens to prompt, each drawn by s from the
// logits of the last position, and returns the new tokens. Generation stops
// early after the token stop (pass -1 for none). Contexts longer than
// n_positions keep their last n_positions tokens. An empty prompt starts
// from the BOS token.
func (m *Model) Generate(prompt []int32, maxNew int, s *Sampler, stop int32) ([]int32, error) {
	ctx := append([]int32(nil), prompt...)
	if len(ctx) == 0 {
		ctx = append(ctx, int32(m.Config.BOSTokenID))
	}
	P := m.Config.NPositions
	// Reserving the longest context up front avoids growing buffers per token.
	m.Reserve(1, P)
	var out []int32
	for len(out) < maxNew {
		window := ctx
		if len(window) > P {
			window = window[len(window)-P:]
		}
		if _, _, err := m.Forward(window, nil, nil, 1, len(window)); err != nil {
			return out, fmt.Errorf("generate: %w", err)
		}
		id := int32(s.Sample(m.Logits(0, len(window)-1)))
		out = append(out, id)
		ctx = append(ctx, id)
		if id == stop {
			break
		}
	}
	return out, nil
}
