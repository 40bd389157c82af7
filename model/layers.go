package model

import (
	"math"

	"github.com/llmflow/llmflow/model/kernel"
)

// Forward and backward passes of the individual layers. Backward functions
// that produce a parameter gradient add to it (gradients accumulate over
// micro-batches); input gradients are set unless the doc says "adds".

// encoder is the token and position embedding lookup and its gradient,
// run on the kernel threads.
type encoder struct {
	grad            bool      // the backward pass
	out, dwte, dwpe []float32 // forward: out; backward: dwte, dwpe
	wte, wpe, dout  []float32
	inp, docStart   []int32
	pos0, T, C, n   int
	parts           int // backward: the split by token and position
}

// forward sets out[b,t,:] = wte[inp[b,t]] + wpe[pos], where pos is
// pos0 + t, or pos0 + t - docStart[b,t] when docStart is not nil.
func (e *encoder) forward(out []float32, inp, docStart []int32, pos0 int, wte, wpe []float32, B, T, C int) {
	*e = encoder{out: out, inp: inp, docStart: docStart, pos0: pos0, wte: wte, wpe: wpe, T: T, C: C}
	kernel.ParallelFor(e, B*T, chunk(B*T))
	*e = encoder{}
}

// backward adds dout to the rows of dwte and dwpe that were read (either
// may be nil: frozen). The work is split by token and by position (part j
// of P takes the ids ≡ j mod P), so each embedding row is summed by one
// thread, over the batch in order: repeated tokens and positions
// accumulate in a fixed order, and threads never share a row.
func (e *encoder) backward(dwte, dwpe, dout []float32, inp, docStart []int32, pos0, B, T, C int) {
	*e = encoder{grad: true, dwte: dwte, dwpe: dwpe, dout: dout, inp: inp, docStart: docStart, pos0: pos0, T: T, C: C}
	e.n, e.parts = B*T, 2*kernel.Threads()
	kernel.ParallelFor(e, e.parts, 1)
	*e = encoder{}
}

// Range is rows [lo, hi) of the forward pass, or parts of the backward.
func (e *encoder) Range(lo, hi int) {
	C := e.C
	if !e.grad {
		for i := lo; i < hi; i++ {
			o := e.out[i*C : (i+1)*C]
			w := e.wte[int(e.inp[i])*C:][:C]
			pos := e.pos0 + position(e.docStart, i, i%e.T)
			p := e.wpe[pos*C : (pos+1)*C]
			for j := range o {
				o[j] = w[j] + p[j]
			}
		}
		return
	}
	for part := lo; part < hi; part++ {
		for i := range e.n {
			d := e.dout[i*C : (i+1)*C]
			if tok := int(e.inp[i]); e.dwte != nil && tok%e.parts == part {
				kernel.Axpy(1, d, e.dwte[tok*C:(tok+1)*C])
			}
			if pos := e.pos0 + position(e.docStart, i, i%e.T); e.dwpe != nil && pos%e.parts == part {
				kernel.Axpy(1, d, e.dwpe[pos*C:(pos+1)*C])
			}
		}
	}
}

// position is the position id of index i (position t of its row): t counted
// from the row's start, or from docStart[i] when docStart is not nil.
func position(docStart []int32, i, t int) int {
	if docStart == nil {
		return t
	}
	return t - int(docStart[i])
}

// layernormForward normalises each of the N rows of inp (C wide) and stores
// the row mean and reciprocal standard deviation for the backward pass.
func layernormForward(out, mean, rstd, inp, w, bias []float32, N, C int, eps float32) {
	if eps == kernel.LayerNormEps {
		kernel.LayerNormForward(out, mean, rstd, inp, w, bias, N, C)
		return
	}
	parallelFor(N, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			x := inp[n*C : n*C+C]
			var m float32
			for _, v := range x {
				m += v
			}
			m /= float32(C)
			var s float32
			for _, v := range x {
				d := v - m
				s += d * d
			}
			s /= float32(C)
			r := float32(1 / math.Sqrt(float64(s+eps)))
			o := out[n*C : n*C+C]
			for i, v := range x {
				o[i] = (v-m)*r*w[i] + bias[i]
			}
			mean[n], rstd[n] = m, r
		}
	})
}

// residualLayerNorm sets res += x, then normalises res into out as
// layernormForward does.
func residualLayerNorm(out, mean, rstd, res, x, w, bias []float32, N, C int, eps float32) {
	if eps == kernel.LayerNormEps {
		kernel.ResidualLayerNormForward(out, mean, rstd, res, x, w, bias, N, C)
		return
	}
	residualAdd(res, x)
	layernormForward(out, mean, rstd, res, w, bias, N, C, eps)
}

// layernormBackward adds the input gradient to dinp and the parameter
// gradients to dw and db (both nil: frozen, skipped).
func layernormBackward(dinp, dw, db, dout, inp, w, mean, rstd []float32, N, C int) {
	kernel.LayerNormBackward(dinp, dw, db, dout, inp, w, mean, rstd, N, C)
}

// geluForward applies GELU with the tanh approximation (GPT-2's "gelu_new").
func geluForward(out, inp []float32) { kernel.GeluForward(out, inp) }

// geluBackward sets dinp = dout · gelu'(inp); dinp may alias dout.
func geluBackward(dinp, inp, dout []float32) { kernel.GeluBackward(dinp, inp, dout) }

// residualAdd sets out += x.
func residualAdd(out, x []float32) { kernel.Axpy(1, x, out) }

// attentionForward computes causal multi-head attention from qkv [B,T,3C]
// (query, key, value blocks of C channels) into out [B,T,C]. Position t of
// row b attends to positions seg[b*T+t] .. t (seg nil: 0 .. t), which keeps
// packed documents apart. att [B,NH,T,T] keeps the softmax for backward.
// With bf16 its products take bf16 operands (kernel.AttentionForwardBF16).
func attentionForward(bf16 bool, out, att, qkv []float32, seg []int32, B, T, C, NH int) {
	if bf16 {
		kernel.AttentionForwardBF16(out, att, qkv, seg, B, T, C, NH)
		return
	}
	kernel.AttentionForward(out, att, qkv, seg, B, T, C, NH)
}

// attentionBackward sets dqkv from dout.
func attentionBackward(bf16 bool, dqkv, dout, qkv, att []float32, seg []int32, B, T, C, NH int) {
	if bf16 {
		kernel.AttentionBackwardBF16(dqkv, dout, qkv, att, seg, B, T, C, NH)
		return
	}
	kernel.AttentionBackward(dqkv, dout, qkv, att, seg, B, T, C, NH)
}

// crossEntropyForward sets losses[n] = -log softmax(logits[n])[targets[n]]
// (0 where targets[n] < 0) and leaves logits unchanged.
func crossEntropyForward(losses, logits []float32, targets []int32, N, V int) {
	kernel.SoftmaxCrossEntropy(losses, nil, logits, targets, nil, N, V, 0)
}

// crossEntropyBackward turns logits [N,V] into dlogits in place:
// scale · weight · (softmax - onehot(target)), zero for rows without a
// target (weights nil: weight 1). It also recomputes the unweighted losses.
func crossEntropyBackward(losses, logits []float32, targets []int32, weights []float32, N, V int, scale float32) {
	kernel.SoftmaxCrossEntropy(losses, logits, logits, targets, weights, N, V, scale)
}
