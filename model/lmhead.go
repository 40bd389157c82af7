package model

import "github.com/llmflow/llmflow/model/kernel"

// The output head of a training pass runs only where a target counts, and
// that of a forward pass only on targets when the batch asks for it.
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

// headRows returns the positions the output head must run on when it can
// skip others, and nil when it runs on every position. A training pass
// (scale != 0, weights fixed) needs the targets of non-zero weight; a
// forward pass of a batch with HeadOnTargets needs every target, whose
// weights may be set before Backward (none without targets); other forward
// passes need all positions, whose logits callers read.
func (a *activations) headRows(b Batch, scale float32) []int32 {
	weighted := scale != 0 && b.Weights != nil && b.Targets != nil
	if !weighted && !b.HeadOnTargets {
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
	if b.Targets == nil {
		return rows // no target: a head on the hidden states reads them alone
	}
	for i := range N {
		if b.Targets[i] >= 0 && (!weighted || b.Weights[i] != 0) {
			rows = append(rows, int32(i))
		}
	}
	if len(rows) == N {
		return nil
	}
	return rows
}

// headForward runs the head on the rows of m.lmRows only, with the
// cross-entropy's gradient in a training pass (scale != 0) and its loss
// otherwise; the losses of the other positions are 0.
func (m *Model) headForward(b Batch, scale float32) {
	a, C, V := m.a, m.Config.NEmbd, m.Config.VocabSize
	h := &a.head
	N, Nk := b.B*b.T, len(m.lmRows)
	h.lnf = growTo(h.lnf, N*C)
	for k, i := range m.lmRows {
		copy(h.lnf[k*C:(k+1)*C], a.lnf[int(i)*C:int(i+1)*C])
		h.targets[k] = b.Targets[i]
	}
	clear(a.losses[:N])
	if Nk == 0 {
		m.gradScale = scale
		return
	}
	m.linearForward(a.logits[:Nk*V], h.lnf[:Nk*C], m.p.wte, nil, Nk, C, V)
	if scale != 0 {
		m.headLossGradient(scale)
		return
	}
	crossEntropyForward(h.losses[:Nk], a.logits[:Nk*V], h.targets[:Nk], Nk, V)
	for k, i := range m.lmRows {
		a.losses[i] = h.losses[k]
	}
}

// headLossGradient turns the compacted logits into the gradient of
// scale · Σ weight · loss, with the weights the batch holds now.
func (m *Model) headLossGradient(scale float32) {
	a, V, b := m.a, m.Config.VocabSize, &m.batch
	h := &a.head
	Nk := len(m.lmRows)
	var weights []float32
	if b.Weights != nil {
		weights = h.weights[:Nk]
		for k, i := range m.lmRows {
			weights[k] = b.Weights[i]
		}
	}
	if Nk > 0 {
		crossEntropyBackward(h.losses[:Nk], a.logits[:Nk*V], h.targets[:Nk], weights, Nk, V, scale)
	}
	for k, i := range m.lmRows {
		a.losses[i] = h.losses[k]
	}
	m.gradScale = scale
}

// headBackward sets dC, the gradient entering the final LayerNorm, from
// the compacted head's dlogits, and adds its weight gradient to dwte.
func (m *Model) headBackward(N int) {
	a, C, V := m.a, m.Config.NEmbd, m.Config.VocabSize
	h := &a.head
	Nk := len(m.lmRows)
	kernel.Clear(a.dC[:N*C])
	if Nk == 0 {
		return
	}
	h.dC = growTo(h.dC, N*C)
	m.linearBackward(h.dC[:Nk*C], m.g.wte, nil, a.logits[:Nk*V], h.lnf[:Nk*C], m.p.wte, Nk, C, V)
	for k, i := range m.lmRows {
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
