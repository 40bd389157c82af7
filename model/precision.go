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
	if m.precision != BF16 {
		matmulForward(out, inp, w, bias, N, C, OC)
		return
	}
	kernel.MatMulForwardBF16(out, inp, w, bias, N, C, OC)
}

// linearBackward is matmulBackward in the model's precision: the bias
// gradient sums the fp32 output gradient either way.
func (m *Model) linearBackward(dinp, dw, dbias, dout, inp, w []float32, N, C, OC int) {
	kernel.LinearBackward(dinp, dw, dbias, dout, inp, w, N, C, OC, m.precision == BF16)
}
