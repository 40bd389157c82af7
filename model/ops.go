package model

import "github.com/llmflow/llmflow/model/kernel"

// Dense linear algebra used by the layers, delegated to the kernel package,
// which computes every output element in a fixed summation order whatever the
// thread count.

// matmulForward computes out[N,OC] = inp[N,C] · w[OC,C]ᵀ + bias (bias may be nil).
func matmulForward(out, inp, w, bias []float32, N, C, OC int) {
	kernel.MatMulForward(out, inp, w, bias, N, C, OC)
}

// matmulBackward sets dinp = dout · w and adds doutᵀ · inp to dw and the
// column sums of dout to dbias (nil dinp, dw or dbias are skipped).
func matmulBackward(dinp, dw, dbias, dout, inp, w []float32, N, C, OC int) {
	kernel.LinearBackward(dinp, dw, dbias, dout, inp, w, N, C, OC, false)
}
