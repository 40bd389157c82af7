package sft

import (
	"math"
	"slices"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// Counts says how many conversations became examples and what happened to
// those longer than the context.
type Counts struct {
	Examples  int
	Truncated int // cut to the context and kept
	// Dropped were too long under the drop policy, or kept nothing to learn
	// within the context.
	Dropped int
}

// Encode renders and tokenizes convs into examples of at most T+1 tokens,
// each with its loss mask, applying the overlong policy to longer ones.
func Encode(enc *chat.Encoder, convs [][]chat.Message, T int, opt chat.Options, overlong string) (*trainer.Data, Counts, error) {
	d := &trainer.Data{}
	var n Counts
	for _, conv := range convs {
		ids, mask, err := enc.Encode(conv, opt)
		if err != nil {
			return nil, n, err
		}
		cut := false
		if len(ids) > T+1 {
			if overlong == OverlongDrop {
				n.Dropped++
				continue
			}
			ids, mask, cut = ids[:T+1], mask[:T+1], true
		}
		// The first token is never a target.
		if len(ids) < 2 || !slices.Contains(mask[1:], 1) {
			n.Dropped++
			continue
		}
		if cut {
			n.Truncated++
		}
		for _, id := range ids {
			d.MaxID = max(d.MaxID, id)
		}
		d.Examples = append(d.Examples, ids)
		d.DocStarts = append(d.DocStarts, []int32{0})
		d.Masks = append(d.Masks, mask)
		n.Examples++
	}
	return d, n, nil
}

// HoldOut splits convs (conversations, preference pairs) into training and
// held-out ones: a share frac of them (at least one when frac > 0 and there
// are two or more), chosen from seed. Both keep the input order.
func HoldOut[T any](convs []T, frac float64, seed int64) (train, val []T) {
	k := int(math.Round(frac * float64(len(convs))))
	if frac > 0 && k == 0 && len(convs) > 1 {
		k = 1
	}
	if k == 0 {
		return convs, nil
	}
	r := model.NewRNG(uint64(seed)*0x2545f4914f6cdd1d + 1)
	perm := make([]int, len(convs))
	for i := range perm {
		perm[i] = i
	}
	for i := len(perm) - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	held := make([]bool, len(convs))
	for _, i := range perm[:k] {
		held[i] = true
	}
	for i, c := range convs {
		if held[i] {
			val = append(val, c)
		} else {
			train = append(train, c)
		}
	}
	return train, val
}
