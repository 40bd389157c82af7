package model

import (
	"fmt"
	"math"

	"github.com/llmflow/llmflow/model/kernel"
)

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter), the
// update PyTorch's torch.optim.AdamW performs. M and V are the first and
// second moments, one float per parameter; Step counts updates taken.
type AdamW struct {
	Beta1, Beta2, Eps float32
	WeightDecay       float32
	// DecayAll applies weight decay to every tensor, not only linear weights.
	DecayAll bool
	M, V     []float32
	Step     int
}

// NewAdamW returns an optimizer for n parameters with GPT-2 defaults
// (betas 0.9/0.95, eps 1e-8). Pass the model's NumTrainable: frozen tensors
// carry no moments.
func NewAdamW(n int, weightDecay float32) *AdamW {
	return &AdamW{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: weightDecay,
		M: kernel.Zeros(n), V: kernel.Zeros(n)}
}

// Update takes one step with learning rate lr on the model's trainable
// parameters and gradients. Weight decay applies to tensors marked Decay (or
// all, see DecayAll). M and V hold the trainable tensors' moments one after
// the other, in buffer order.
func (o *AdamW) Update(m *Model, lr float32) { o.update(m, lr, 1) }

// UpdateClipped is ClipGrads(maxNorm) followed by Update, with the clip
// factor applied as the optimizer reads each gradient instead of in a pass
// of its own: the parameters and moments come out bit for bit the same,
// but Grads are left unscaled. It returns the norm before clipping.
func (o *AdamW) UpdateClipped(m *Model, lr float32, maxNorm float64) float64 {
	norm := m.GradNorm()
	o.update(m, lr, clipFactor(norm, maxNorm))
	return norm
}

// update takes the step with every gradient multiplied by gradScale.
func (o *AdamW) update(m *Model, lr, gradScale float32) {
	o.Step++
	if len(o.M) != m.NumTrainable() {
		panic(fmt.Sprintf("model: AdamW holds moments for %d parameters, the model trains %d; this is a bug in llmflow", len(o.M), m.NumTrainable()))
	}
	mo := 0
	ts := m.Tensors
	// Neighbouring trainable tensors with the same decay go to the kernel as
	// one range.
	for i := 0; i < len(ts); {
		if ts[i].Frozen {
			i++
			continue
		}
		wd := o.decay(ts[i])
		j := i + 1
		for j < len(ts) && !ts[j].Frozen && o.decay(ts[j]) == wd {
			j++
		}
		start, end := ts[i].Off, ts[j-1].Off+ts[j-1].Size
		n := end - start
		kernel.AdamW(m.Params[start:end], m.Grads[start:end], o.M[mo:mo+n], o.V[mo:mo+n],
			kernel.AdamWConfig{LR: lr, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps, WeightDecay: wd, Step: o.Step, GradScale: gradScale})
		mo += n
		i = j
	}
}

func (o *AdamW) decay(t Tensor) float32 {
	if t.Decay || o.DecayAll {
		return o.WeightDecay
	}
	return 0
}

// GradNorm returns the global L2 norm of the trainable gradients: float32
// sums over fixed chunks, added in order in float64, so the result does not
// depend on the thread count.
func (m *Model) GradNorm() float64 {
	const chunk = 1 << 14
	var s float64
	m.eachTrainable(func(lo, hi int) {
		n := (hi - lo + chunk - 1) / chunk
		if cap(m.normParts) < n {
			m.normParts = make([]float32, n)
		}
		parts := m.normParts[:n]
		kernel.SumSquaresChunks(parts, m.Grads[lo:hi], chunk)
		for _, p := range parts {
			s += float64(p)
		}
	})
	return math.Sqrt(s)
}

// ClipGrads scales the gradients so their global norm is at most maxNorm
// (maxNorm <= 0 disables clipping) and returns the norm before clipping.
func (m *Model) ClipGrads(maxNorm float64) float64 {
	norm := m.GradNorm()
	if f := clipFactor(norm, maxNorm); f != 1 {
		m.eachTrainable(func(lo, hi int) { kernel.ScaleAll(f, m.Grads[lo:hi]) })
	}
	return norm
}

// clipFactor is the scale that brings a gradient of the given norm down to
// maxNorm, 1 when it is within it or clipping is off (maxNorm <= 0).
func clipFactor(norm, maxNorm float64) float32 {
	if maxNorm > 0 && norm > maxNorm {
		return float32(maxNorm / (norm + 1e-6))
	}
	return 1
}

// Schedule is linear warmup followed by cosine decay to MinLR.
type Schedule struct {
	LR, MinLR   float64
	WarmupSteps int
	MaxSteps    int // steps of the whole run; decay ends here
}

// At returns the learning rate for optimizer step step (0-based).
func (s Schedule) At(step int) float64 {
	if step < s.WarmupSteps {
		return s.LR * float64(step+1) / float64(s.WarmupSteps)
	}
	if s.MaxSteps <= s.WarmupSteps || step >= s.MaxSteps {
		return s.MinLR
	}
	r := float64(step-s.WarmupSteps) / float64(s.MaxSteps-s.WarmupSteps)
	return s.MinLR + 0.5*(1+math.Cos(math.Pi*r))*(s.LR-s.MinLR)
}
