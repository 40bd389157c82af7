package model

import (
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
// (betas 0.9/0.95, eps 1e-8).
func NewAdamW(n int, weightDecay float32) *AdamW {
	return &AdamW{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: weightDecay,
		M: make([]float32, n), V: make([]float32, n)}
}

// Update takes one step with learning rate lr on the model's parameters and
// gradients. Weight decay applies to tensors marked Decay (or all, see
// DecayAll).
func (o *AdamW) Update(m *Model, lr float32) {
	o.Step++
	// Neighbouring tensors with the same decay go to the kernel as one range.
	start, wd := 0, o.decay(m.Tensors[0])
	for i := 1; i <= len(m.Tensors); i++ {
		if i < len(m.Tensors) && o.decay(m.Tensors[i]) == wd {
			continue
		}
		end := len(m.Params)
		if i < len(m.Tensors) {
			end = m.Tensors[i].Off
		}
		kernel.AdamW(m.Params[start:end], m.Grads[start:end], o.M[start:end], o.V[start:end],
			kernel.AdamWConfig{LR: lr, Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps, WeightDecay: wd, Step: o.Step})
		if i < len(m.Tensors) {
			start, wd = end, o.decay(m.Tensors[i])
		}
	}
}

func (o *AdamW) decay(t Tensor) float32 {
	if t.Decay || o.DecayAll {
		return o.WeightDecay
	}
	return 0
}

// GradNorm returns the global L2 norm of the gradients: float32 sums over
// fixed chunks, added in order in float64, so the result does not depend on
// the thread count.
func (m *Model) GradNorm() float64 {
	const chunk = 1 << 14
	var s float64
	for lo := 0; lo < len(m.Grads); lo += chunk {
		g := m.Grads[lo:min(lo+chunk, len(m.Grads))]
		s += float64(kernel.Dot(g, g))
	}
	return math.Sqrt(s)
}

// ClipGrads scales the gradients so their global norm is at most maxNorm
// (maxNorm <= 0 disables clipping) and returns the norm before clipping.
func (m *Model) ClipGrads(maxNorm float64) float64 {
	norm := m.GradNorm()
	if maxNorm > 0 && norm > maxNorm {
		kernel.Scale(float32(maxNorm/(norm+1e-6)), m.Grads)
	}
	return norm
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
