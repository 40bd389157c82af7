package model

import "github.com/llmflow/llmflow/model/kernel"

// The output head of a training pass runs only where a target counts.
// Instruction tuning, preference and RL batches leave the prompt's targets
// unweighted, often half of a row or more, and the vocabulary-wide head
// (logits, cross-entropy, their input and weight gradients) is the largest
// single product of a small model's step: its rows without weight would
// compute a loss that is multiplied by zero and gradients that are zero.

// headBuffers are the compacted rows of the head, sized for the batch.
type headBuffers struct {
	rows     []int32
	lnf, dC  []float32
	targets  []int32
	weights  []float32
	losses   []float32
	capacity int
}

// headRows returns the positions with a target of non-zero weight when a
// training pass (scale != 0, weights fixed) can skip others, and nil when
// the head must run on every position: a forward pass without gradient,
// whose logits callers read, or a batch where every target counts.
func (a *activations) headRows(b Batch, scale float32) []int32 {
	if scale == 0 || b.Targets == nil || b.Weights == nil {
		return nil
	}
	N := b.B * b.T
	h := &a.head
	if h.capacity < N {
		// Sized once for the largest batch, like the other activations.
		h.rows = make([]int32, N)
		h.targets, h.weights, h.losses = make([]int32, N), kernel.Zeros(N), kernel.Zeros(N)
		h.capacity = N
	}
	rows := h.rows[:0]
	for i := range N {
		if b.Targets[i] >= 0 && b.Weights[i] != 0 {
			rows = append(rows, int32(i))
		}
	}
	if len(rows) == N {
		return nil
	}
	return rows
}

// trainHead runs the head and the cross-entropy's gradient on the rows of
// m.head only; the losses of the other positions are 0.
func (m *Model) trainHead(b Batch, scale float32) {
	a, C, V := m.a, m.Config.NEmbd, m.Config.VocabSize
	h := &a.head
	N, Nk := b.B*b.T, len(m.head)
	h.lnf = growTo(h.lnf, N*C)
	for k, i := range m.head {
		copy(h.lnf[k*C:(k+1)*C], a.lnf[int(i)*C:int(i+1)*C])
		h.targets[k], h.weights[k] = b.Targets[i], b.Weights[i]
	}
	clear(a.losses[:N])
	m.gradScale = scale
	if Nk == 0 {
		return
	}
	m.linearForward(a.logits[:Nk*V], h.lnf[:Nk*C], m.p.wte, nil, Nk, C, V)
	crossEntropyBackward(h.losses[:Nk], a.logits[:Nk*V], h.targets[:Nk], h.weights[:Nk], Nk, V, scale)
	for k, i := range m.head {
		a.losses[i] = h.losses[k]
	}
}

// trainHeadBackward sets dC, the gradient entering the final LayerNorm, from
// the compacted head's dlogits, and adds its weight gradient to dwte.
func (m *Model) trainHeadBackward(N int) {
	a, C, V := m.a, m.Config.NEmbd, m.Config.VocabSize
	h := &a.head
	Nk := len(m.head)
	clear(a.dC[:N*C])
	if Nk == 0 {
		return
	}
	h.dC = growTo(h.dC, N*C)
	m.linearBackward(h.dC[:Nk*C], m.g.wte, nil, a.logits[:Nk*V], h.lnf[:Nk*C], m.p.wte, Nk, C, V)
	for k, i := range m.head {
		copy(a.dC[int(i)*C:int(i+1)*C], h.dC[k*C:(k+1)*C])
	}
}

// growTo returns buf with length n, allocating only when it is too small.
func growTo(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return kernel.Zeros(n)
	}
	return buf[:n]
}
