package trainer

import (
	"math"
	"time"
)

// step runs one optimizer step over grad_accum micro-batches. The loss is
// normalised once, by the total weight of the targets in the whole step.
func (t *trainer) step(lr float64) (loss, norm float64, err error) {
	B := t.cfg.BatchSize
	targets, total := 0, 0.0
	for i := range t.cfg.GradAccum * B {
		n, w := t.spec.Train.Next(t.buf.row(i))
		targets += n
		total += w
	}
	if total <= 0 {
		total = 1 // a step without targets changes nothing but still counts
	}
	t.m.ZeroGrad()
	scale := 1 / float32(total)
	var sum float64
	for a := range t.cfg.GradAccum {
		s, err := t.loss.Step(t.m, t.buf.batch(a*B, B, t.cfg.ResetPositionIDs), scale)
		if err != nil {
			return 0, 0, err
		}
		sum += s
	}
	norm = t.opt.UpdateClipped(t.m, float32(lr), t.cfg.GradClip)
	t.st.Step++
	t.st.Tokens += int64(targets)
	return sum / total, norm, nil
}

// maxSteps is the step count the cosine decay spans (0 when only a time
// budget bounds the run).
func (t *trainer) maxSteps() int {
	tokPerStep := int64(t.cfg.GradAccum * t.cfg.BatchSize * t.spec.BlockSize)
	s := t.cfg.MaxSteps
	if t.cfg.MaxTokens > 0 {
		ts := int((t.cfg.MaxTokens + tokPerStep - 1) / tokPerStep)
		if s == 0 || ts < s {
			s = ts
		}
	}
	return s
}

func (t *trainer) done(elapsed time.Duration) bool {
	if t.schedule.MaxSteps > 0 && t.st.Step >= t.schedule.MaxSteps {
		return true
	}
	return t.budget > 0 && t.elapsed+elapsed >= t.budget
}

// lr follows the step schedule, or with only a time budget, warmup by step
// then cosine decay by the fraction of the budget spent.
func (t *trainer) lr(elapsed time.Duration) float64 {
	if t.schedule.MaxSteps > 0 {
		return t.schedule.At(t.st.Step)
	}
	s := t.schedule
	if t.st.Step < s.WarmupSteps {
		return s.At(t.st.Step)
	}
	p := min(1, float64(t.elapsed+elapsed)/float64(t.budget))
	return s.MinLR + 0.5*(1+math.Cos(math.Pi*p))*(s.LR-s.MinLR)
}
