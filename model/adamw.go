package model

import "math"

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
	b1c := float32(1 - math.Pow(float64(o.Beta1), float64(o.Step)))
	b2c := float32(1 - math.Pow(float64(o.Beta2), float64(o.Step)))
	for _, t := range m.Tensors {
		wd := float32(0)
		if t.Decay || o.DecayAll {
			wd = o.WeightDecay
		}
		p := m.Params[t.Off : t.Off+t.Size]
		g := m.Grads[t.Off : t.Off+t.Size]
		mm := o.M[t.Off : t.Off+t.Size]
		vv := o.V[t.Off : t.Off+t.Size]
		parallelFor((len(p)+4095)/4096, func(lo, hi int) {
			for i := lo * 4096; i < min(hi*4096, len(p)); i++ {
				gi := g[i]
				mi := o.Beta1*mm[i] + (1-o.Beta1)*gi
				vi := o.Beta2*vv[i] + (1-o.Beta2)*gi*gi
				mm[i], vv[i] = mi, vi
				mhat := mi / b1c
				vhat := vi / b2c
				pi := p[i] * (1 - lr*wd)
				p[i] = pi - lr*mhat/(float32(math.Sqrt(float64(vhat)))+o.Eps)
			}
		})
	}
}

// GradNorm returns the global L2 norm of the gradients, summed in float64 in
// fixed chunks so the result does not depend on the thread count.
func (m *Model) GradNorm() float64 {
	const chunk = 1 << 14
	n := (len(m.Grads) + chunk - 1) / chunk
	parts := make([]float64, n)
	parallelFor(n, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			var s float64
			for _, v := range m.Grads[c*chunk : min((c+1)*chunk, len(m.Grads))] {
				s += float64(v) * float64(v)
			}
			parts[c] = s
		}
	})
	var s float64
	for _, p := range parts {
		s += p
	}
	return math.Sqrt(s)
}

// ClipGrads scales the gradients so their global norm is at most maxNorm
// (maxNorm <= 0 disables clipping) and returns the norm before clipping.
func (m *Model) ClipGrads(maxNorm float64) float64 {
	norm := m.GradNorm()
	if maxNorm > 0 && norm > maxNorm {
		s := float32(maxNorm / (norm + 1e-6))
		g := m.Grads
		parallelFor((len(g)+4095)/4096, func(lo, hi int) {
			for i := lo * 4096; i < min(hi*4096, len(g)); i++ {
				g[i] *= s
			}
		})
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
