package align

import (
	"fmt"
	"math"

	"github.com/llmflow/llmflow/model"
)

// DPO loss types, named as TRL's DPOTrainer names them.
const (
	LossSigmoid = "sigmoid" // DPO (Rafailov et al. 2023)
	LossIPO     = "ipo"     // Azar et al. 2023, on per-token mean log-probs
	LossHinge   = "hinge"   // SLiC (Zhao et al. 2023)
)

// PreferenceLoss is a DPO-family loss of h = (π_c − π_r) − (ref_c − ref_r),
// the policy's log-ratio margin over the reference's.
type PreferenceLoss struct {
	Type           string
	Beta           float64
	LabelSmoothing float64 // sigmoid only: the assumed share of flipped labels
}

// Check names the first bad setting.
func (l PreferenceLoss) Check() error {
	switch {
	case l.Type != LossSigmoid && l.Type != LossIPO && l.Type != LossHinge:
		return fmt.Errorf("loss %q must be %q, %q or %q", l.Type, LossSigmoid, LossIPO, LossHinge)
	case l.Beta <= 0:
		return fmt.Errorf("beta must be positive, got %g", l.Beta)
	case l.LabelSmoothing < 0 || l.LabelSmoothing >= 0.5:
		return fmt.Errorf("label_smoothing must be in [0, 0.5), got %g", l.LabelSmoothing)
	case l.LabelSmoothing != 0 && l.Type != LossSigmoid:
		return fmt.Errorf("label_smoothing applies to the sigmoid loss only")
	}
	return nil
}

// Eval returns the loss at margin h and its derivative by h, as TRL's
// dpo_loss computes them:
//
//	sigmoid: −(1−ε)·log σ(βh) − ε·log σ(−βh)
//	hinge:   max(0, 1 − βh)
//	ipo:     (h − 1/(2β))²
func (l PreferenceLoss) Eval(h float64) (loss, dh float64) {
	b := l.Beta
	switch l.Type {
	case LossHinge:
		if 1-b*h > 0 {
			return 1 - b*h, -b
		}
		return 0, 0
	case LossIPO:
		d := h - 1/(2*b)
		return d * d, 2 * d
	}
	e := l.LabelSmoothing
	loss = (1-e)*softplus(-b*h) + e*softplus(b*h)
	dh = -(1-e)*b*sigmoid(-b*h) + e*b*sigmoid(b*h)
	return loss, dh
}

// Mean reports whether the loss reads per-token mean log-probs (IPO)
// rather than sums.
func (l PreferenceLoss) Mean() bool { return l.Type == LossIPO }

// sequenceLogp is what the loss reads of a sequence's log-prob.
func (l PreferenceLoss) sequenceLogp(sum float64, n int) float64 {
	if l.Mean() {
		return sum / float64(max(1, n))
	}
	return sum
}

// softplus(x) = log(1 + eˣ) without overflow: −log σ(−x).
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// dpoStep is the trainer Loss of DPO: one forward pass over a micro-batch
// of pairs gives every sequence's log-prob; each target's weight becomes
// −∂L/∂logp of its sequence, so one backward pass gives ∂L/∂θ. The pass
// runs without LoRA dropout, so the log-probs are the policy's own, as
// the reference's are.
type dpoStep struct {
	loss PreferenceLoss
	rows *pairRows
	// ref holds the reference's summed log-probs of every pair (chosen,
	// rejected), indexed like rows.pairs.
	ref   [][2]float64
	stats pairStats
	cut   compactor
}

// Step implements trainer.Loss.
func (d *dpoStep) Step(m *model.Model, b model.Batch, scale float32) (float64, error) {
	if b.B%2 != 0 {
		return 0, fmt.Errorf("a micro-batch of %d rows cannot hold whole pairs; this is a bug in llmflow", b.B)
	}
	idx, err := d.rows.take(b.B / 2)
	if err != nil {
		return 0, err
	}
	b = d.cut.compact(b)
	b.HeadOnTargets = true // log-probabilities of the responses only
	if _, _, err := m.ForwardBatch(b); err != nil {
		return 0, err
	}
	losses, T := m.Losses(), b.T
	var total float64
	for p, i := range idx {
		var lp, ref [2]float64
		var n [2]int
		for k := range 2 {
			sum, cnt := rowLogProb(losses, b.Targets, 2*p+k, T)
			lp[k], ref[k], n[k] = d.loss.sequenceLogp(sum, cnt), d.loss.sequenceLogp(d.ref[i][k], cnt), cnt
		}
		l, dh := d.loss.Eval((lp[0] - lp[1]) - (ref[0] - ref[1]))
		total += l
		d.stats.add(d.loss.Beta, lp, ref, l)
		for k, g := range [2]float64{dh, -dh} {
			if d.loss.Mean() {
				g /= float64(max(1, n[k]))
			}
			setRowWeights(b, 2*p+k, float32(-g))
		}
	}
	return total, m.Backward(scale)
}

// setRowWeights sets the weight of every target of row r to w.
func setRowWeights(b model.Batch, r int, w float32) {
	for t := r * b.T; t < (r+1)*b.T; t++ {
		if b.Targets[t] >= 0 {
			b.Weights[t] = w
		}
	}
}
