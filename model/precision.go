package model

import (
	"fmt"

	"github.com/llmflow/llmflow/model/kernel"
)

// Precision is the arithmetic of a model's linear layers.
type Precision string

const (
	// FP32 multiplies in float32 throughout (the default).
	FP32 Precision = "fp32"
	// BF16 rounds the operands of the linear layers' multiplies — weights,
	// their input activations and the output gradients — and of attention's
	// score and value products and their gradients to bfloat16, and
	// accumulates in fp32; kernel.Path says which kernels do it. Parameters,
	// gradients and optimizer state stay fp32 (the master copy is rounded
	// afresh at every use, so an update below bf16's resolution is not
	// lost), as do LayerNorm, the softmax, GELU and the loss. A prefix's
	// attention multiplies in fp32.
	BF16 Precision = "bf16"
)

// ParsePrecision accepts "fp32" and "bf16" ("" is fp32).
func ParsePrecision(s string) (Precision, error) {
	switch Precision(s) {
	case "", FP32:
		return FP32, nil
	case BF16:
		return BF16, nil
	}
	return "", fmt.Errorf("precision %q is not one of \"fp32\" or \"bf16\"", s)
}

// SetPrecision sets the arithmetic of the following forward and backward
// passes.
func (m *Model) SetPrecision(p Precision) { m.precision = p }

// Precision reports the arithmetic of the linear layers.
func (m *Model) Precision() Precision {
	if m.precision == "" {
		return FP32
	}
	return m.precision
}

// linearForward is matmulForward in the model's precision.
func (m *Model) linearForward(out, inp, w, bias []float32, N, C, OC int) {
	if m.precision == BF16 {
		kernel.MatMulForwardBF16(out, inp, w, bias, N, C, OC)
		return
	}
	if pw := m.frozenPacked(w, C, OC); pw != nil {
		kernel.MatMulForwardPacked(out, inp, pw, bias, N)
		return
	}
	matmulForward(out, inp, w, bias, N, C, OC)
}

// linearBackward is matmulBackward in the model's precision: the bias
// gradient sums the fp32 output gradient either way.
func (m *Model) linearBackward(dinp, dw, dbias, dout, inp, w []float32, N, C, OC int) {
	if dw == nil && dbias == nil && dinp != nil && m.precision != BF16 {
		if pw := m.frozenPacked(w, C, OC); pw != nil {
			kernel.LinearBackwardPacked(dinp, dout, pw, N)
			return
		}
	}
	kernel.LinearBackward(dinp, dw, dbias, dout, inp, w, N, C, OC, m.precision == BF16)
}

// frozenPacked returns weight w[OC, C] packed for the kernels if it is a
// frozen tensor, packing it on first use, and nil otherwise. Frozen weights
// do not change while a model trains, so the copy serves every step.
func (m *Model) frozenPacked(w []float32, C, OC int) *kernel.PackedWeight {
	if len(w) == 0 {
		return nil
	}
	if m.packs == nil {
		m.packs = map[*float32]*kernel.PackedWeight{}
		for _, t := range m.Tensors {
			if t.Frozen && t.Size > 0 {
				m.packs[&m.Params[t.Off]] = nil
			}
		}
	}
	pw, frozen := m.packs[&w[0]]
	if !frozen {
		return nil
	}
	if pw == nil || pw.C != C || pw.OC != OC {
		pw = kernel.PackWeight(w, C, OC)
		m.packs[&w[0]] = pw
	}
	return pw
}

// ParamsChanged tells the model that Params were written other than by its
// own methods, such as copying a saved state in: the packed copies of
// frozen weights are made afresh. An optimizer step, which writes only
// trainable tensors, needs no call.
func (m *Model) ParamsChanged() { m.packs = nil }
