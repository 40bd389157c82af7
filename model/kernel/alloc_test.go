package kernel

import (
	"math/rand/v2"
	"testing"
)

// TestNoAllocations checks that the hot-path kernels do not allocate once
// their scratch buffers have grown.
func TestNoAllocations(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	B, T, C, NH, V := 2, 64, 64, 2, 300
	N := B * T
	qkv, att, out := randSlice(r, B*T*3*C), make([]float32, B*NH*T*T), make([]float32, N*C)
	dqkv, dout := make([]float32, B*T*3*C), randSlice(r, N*C)
	w, bias, x := randSlice(r, 4*C*C), randSlice(r, 4*C), randSlice(r, N*C)
	y, dx, dw, db := make([]float32, N*4*C), make([]float32, N*C), make([]float32, 4*C*C), make([]float32, 4*C)
	logits, losses := randSlice(r, N*V), make([]float32, N)
	targets, weights := make([]int32, N), make([]float32, N)
	mean, rstd := make([]float32, N), make([]float32, N)
	m, v := make([]float32, len(w)), make([]float32, len(w))
	cases := map[string]func(){
		"MatMul": func() {
			MatMulForward(y, x, w, bias, N, C, 4*C)
			MatMulBackward(dx, dw, db, y, x, w, N, C, 4*C)
		},
		"Attention": func() {
			AttentionForward(out, att, qkv, nil, B, T, C, NH)
			AttentionBackward(dqkv, dout, qkv, att, nil, B, T, C, NH)
		},
		"Elementwise": func() {
			GeluForward(y, y)
			GeluBackward(y, y, y)
			LayerNormForward(dx, mean, rstd, x, w[:C], bias[:C], N, C)
			LayerNormBackward(dx, dw[:C], db[:C], dout, x, w[:C], mean, rstd, N, C)
			SoftmaxCrossEntropy(losses, logits, logits, targets, nil, N, V, 1)
			SoftmaxCrossEntropy(losses, logits, logits, targets, weights, N, V, 1)
			AdamW(w, dw, m, v, AdamWConfig{LR: 1e-4, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, Step: 1})
		},
	}
	for _, th := range []int{1, 2} {
		withThreads(th, func() {
			for name, f := range cases {
				f() // grow scratch
				if a := testing.AllocsPerRun(5, f); a != 0 {
					t.Errorf("%s with %d threads: %v allocations per call", name, th, a)
				}
			}
		})
	}
}
