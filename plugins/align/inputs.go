package align

import (
	"context"
	"fmt"

	"github.com/llmflow/llmflow/dataprep/preference"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/sft"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// pairSet is a preference dataset as a stage reads it: its pairs and, when
// a logps stage wrote them, the reference log-probs of each pair's answers
// and what they were computed with.
type pairSet struct {
	Pairs []preference.Pair
	Ref   [][2]float64 // nil without reference columns
	Key   RefKey
}

func readPairSet(ctx context.Context, dir string) (pairSet, error) {
	pairs, err := preference.Read(ctx, dir)
	if err != nil {
		return pairSet{}, err
	}
	s := pairSet{Pairs: pairs}
	if s.Ref, s.Key, err = readRefLogps(ctx, dir); err != nil {
		return pairSet{}, err
	}
	if s.Ref != nil && len(s.Ref) != len(pairs) {
		return pairSet{}, fmt.Errorf("%s: %d reference log-probs for %d pairs", dir, len(s.Ref), len(pairs))
	}
	return s, nil
}

// subset returns the pairs at idx.
func (s pairSet) subset(idx []int) pairSet {
	out := pairSet{Key: s.Key}
	for _, i := range idx {
		out.Pairs = append(out.Pairs, s.Pairs[i])
		if s.Ref != nil {
			out.Ref = append(out.Ref, s.Ref[i])
		}
	}
	return out
}

// trainAndVal reads the data input and the val input, or without one holds
// out frac of the data's pairs, chosen from seed.
func trainAndVal(ctx context.Context, inputs map[string]sdk.Input, frac float64, seed int64) (train, val pairSet, err error) {
	data, ok := inputs["data"]
	if !ok {
		return train, val, fmt.Errorf("input \"data\" is required")
	}
	if train, err = readPairSet(ctx, data.Path); err != nil {
		return train, val, err
	}
	if v, ok := inputs["val"]; ok {
		val, err = readPairSet(ctx, v.Path)
		return train, val, err
	}
	idx := make([]int, len(train.Pairs))
	for i := range idx {
		idx[i] = i
	}
	tr, va := sft.HoldOut(idx, frac, seed)
	return train.subset(tr), train.subset(va), nil
}

// hooks reports the stage's own metrics from inside the trainer's loop:
// onLog after each step whose train metrics were emitted, onEval every
// evalEvery steps (between steps, where running the model is safe).
type hooks struct {
	trainer.Events
	evalEvery int
	onLog     func(step int64)
	onEval    func(step int64)
	lastEval  int64
}

// Metric implements trainer.Events.
func (h *hooks) Metric(step int64, name string, value float64) {
	h.Events.Metric(step, name, value)
	if name == "train_loss" && h.onLog != nil {
		h.onLog(step)
	}
}

// Progress implements trainer.Events.
func (h *hooks) Progress(done, total int64, unit string) {
	h.Events.Progress(done, total, unit)
	if unit == "steps" && h.evalEvery > 0 && done > 0 && done%int64(h.evalEvery) == 0 && h.onEval != nil {
		h.onEval(done)
		h.lastEval = done
	}
}

// finalEval evaluates after the run unless the last step already did.
func (h *hooks) finalEval(step int64) {
	if h.onEval != nil && h.lastEval != step {
		h.onEval(step)
	}
}

// checkPairSettings lists the problems of the settings every pair stage
// shares.
func checkPairSettings(t Truncation, valFraction float64, batch int) sdk.Diagnostics {
	ds := trainer.NotNegative("max_length", t.MaxLength)
	ds = append(ds, trainer.NotNegative("max_prompt_length", t.MaxPromptLength)...)
	if valFraction < 0 || valFraction >= 1 {
		ds = append(ds, sdk.Errorf("val_fraction", "Value out of range", "val_fraction is %g; it must be in [0, 1).", valFraction))
	}
	if batch%2 != 0 {
		ds = append(ds, sdk.Errorf("batch_size", "Odd batch size",
			"batch_size is %d; each pair fills two rows (chosen and rejected) of one micro-batch, so it must be even.", batch))
	}
	return ds
}
