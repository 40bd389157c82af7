package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestThreadsBitIdentical runs a forward and backward of every kernel family
// with 1, 2 and 3 threads and requires identical bits.
func TestThreadsBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	N, C, OC, V := 600, 96, 200, 333 // N spans several row blocks of the partial sums
	x, w, bias := randSlice(r, N*C), randSlice(r, OC*C), randSlice(r, OC)
	dy, g := randSlice(r, N*OC), randSlice(r, N*C)
	logits := randSlice(r, N*V)
	targets := make([]int32, N)
	for i := range targets {
		targets[i] = int32(r.IntN(V))
	}
	run := func() []float32 {
		y := make([]float32, N*OC)
		dx, dw, db := make([]float32, N*C), make([]float32, OC*C), make([]float32, OC)
		MatMulForward(y, x, w, bias, N, C, OC)
		MatMulBackward(dx, dw, db, dy, x, w, N, C, OC)
		ln, mean, rstd := make([]float32, N*C), make([]float32, N), make([]float32, N)
		LayerNormForward(ln, mean, rstd, x, w[:C], bias[:C], N, C)
		dln, dlw, dlb := make([]float32, N*C), make([]float32, C), make([]float32, C)
		LayerNormBackward(dln, dlw, dlb, g, x, w[:C], mean, rstd, N, C)
		ge, dge := make([]float32, N*C), make([]float32, N*C)
		GeluForward(ge, x)
		GeluBackward(dge, x, g)
		losses, dl := make([]float32, N), make([]float32, N*V)
		SoftmaxCrossEntropy(losses, dl, logits, targets, nil, N, V, 0.5)
		p, m, v := append([]float32(nil), w...), make([]float32, len(w)), make([]float32, len(w))
		AdamW(p, dw, m, v, AdamWConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, Step: 1})
		var all []float32
		for _, s := range [][]float32{y, dx, dw, db, ln, mean, rstd, dln, dlw, dlb, ge, dge, losses, dl, p, m, v} {
			all = append(all, s...)
		}
		return all
	}
	var ref []float32
	for _, th := range []int{1, 2, 3} {
		var got []float32
		withThreads(th, func() { got = run() })
		if ref == nil {
			ref = got
			continue
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
				t.Fatalf("%d threads differ from 1 at %d: %g vs %g", th, i, got[i], ref[i])
			}
		}
	}
}

// TestConcurrentCalls calls kernels from several goroutines while the
// thread count changes: calls serialise on the pool and results stay exact.
func TestConcurrentCalls(t *testing.T) {
	defer SetThreads(0)
	r := rand.New(rand.NewPCG(51, 52))
	m, n, k := 50, 70, 90
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	want := make([]float32, m*n)
	Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	done := make(chan string)
	for g := range 4 {
		go func() {
			c := make([]float32, m*n)
			for i := range 20 {
				if g == 0 && i%5 == 0 {
					SetThreads(1 + i%3)
				}
				Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				for j := range c {
					if math.Float32bits(c[j]) != math.Float32bits(want[j]) {
						done <- "result changed under concurrent calls"
						return
					}
				}
			}
			done <- ""
		}()
	}
	for range 4 {
		if msg := <-done; msg != "" {
			t.Fatal(msg)
		}
	}
}

// rangeCounter counts how often ParallelFor hands it each index.
type rangeCounter []int32

func (c rangeCounter) Range(lo, hi int) {
	for i := lo; i < hi; i++ {
		c[i]++ // chunks never overlap, so no two threads touch one index
	}
}

// TestParallelFor requires every index to be handed out exactly once, for
// any grain and thread count.
func TestParallelFor(t *testing.T) {
	for _, th := range []int{1, 2, 3} {
		for _, tc := range [][2]int{{0, 1}, {1, 1}, {7, 3}, {1000, 1}, {1000, 64}, {1000, 5000}} {
			n, grain := tc[0], tc[1]
			c := make(rangeCounter, n)
			withThreads(th, func() { ParallelFor(c, n, grain) })
			for i, v := range c {
				if v != 1 {
					t.Fatalf("%d threads, n %d, grain %d: index %d handed out %d times", th, n, grain, i, v)
				}
			}
		}
	}
}
