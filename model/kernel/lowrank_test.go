package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestLowRank checks the three low-rank products against float64 sums, on
// shapes with tails that fill no vector, and that 1, 2 and 3 threads give
// identical bits.
func TestLowRank(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, sh := range []struct{ N, d, rk int }{{1, 1, 1}, {37, 19, 3}, {150, 96, 8}, {130, 300, 8}, {70, 384, 5}, {45, 50, 12}, {20, 33, 16}} {
		t.Run(fmt.Sprintf("N=%d/d=%d/r=%d", sh.N, sh.d, sh.rk), func(t *testing.T) {
			N, d, rk := sh.N, sh.d, sh.rk
			x, w, h := randSlice(r, N*d), randSlice(r, rk*d), randSlice(r, N*rk)
			y0, g0 := randSlice(r, N*d), randSlice(r, rk*d)
			run := func() (down, up, grad []float32) {
				down = make([]float32, N*rk)
				LowRankDown(down, x, w, N, d, rk, 0.5)
				up = append([]float32(nil), y0...)
				LowRankUp(up, h, w, N, d, rk)
				grad = append([]float32(nil), g0...)
				LowRankGrad(grad, h, x, N, d, rk)
				return down, up, grad
			}
			var ref [3][]float32
			for _, th := range []int{1, 2, 3} {
				var got [3][]float32
				withThreads(th, func() { got[0], got[1], got[2] = run() })
				if ref[0] == nil {
					ref = got
					continue
				}
				for k := range got {
					for i := range got[k] {
						if math.Float32bits(got[k][i]) != math.Float32bits(ref[k][i]) {
							t.Fatalf("product %d: %d threads differ from 1 at %d", k, th, i)
						}
					}
				}
			}
			near := func(name string, got float32, want float64, terms int) {
				t.Helper()
				if math.Abs(float64(got)-want) > 1e-5*float64(terms) {
					t.Fatalf("%s = %g, want %g", name, got, want)
				}
			}
			for n := range N {
				for j := range rk {
					var s float64
					for i := range d {
						s += float64(x[n*d+i]) * float64(w[j*d+i])
					}
					near("down", ref[0][n*rk+j], 0.5*s, d)
				}
				for i := range d {
					s := float64(y0[n*d+i])
					for j := range rk {
						s += float64(h[n*rk+j]) * float64(w[j*d+i])
					}
					near("up", ref[1][n*d+i], s, rk)
				}
			}
			for j := range rk {
				for i := range d {
					s := float64(g0[j*d+i])
					for n := range N {
						s += float64(h[n*rk+j]) * float64(x[n*d+i])
					}
					near("grad", ref[2][j*d+i], s, N)
				}
			}
		})
	}
}

// TestLowRankNoAllocations checks that the low-rank products do not
// allocate.
func TestLowRankNoAllocations(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	N, d, rk := 100, 70, 9
	x, w, h, g := randSlice(r, N*d), randSlice(r, rk*d), randSlice(r, N*rk), randSlice(r, rk*d)
	for _, th := range []int{1, 2} {
		withThreads(th, func() {
			if a := testing.AllocsPerRun(5, func() {
				LowRankDown(h, x, w, N, d, rk, 1)
				LowRankUp(x, h, w, N, d, rk)
				LowRankGrad(g, h, x, N, d, rk)
			}); a != 0 {
				t.Errorf("%d threads: %v allocations per call", th, a)
			}
		})
	}
}

// BenchmarkLowRank times the three products of a rank-8 update of config
// M's layers (d 384 or 1536) on 2048 rows, against the GEMM calls that
// computed them before.
func BenchmarkLowRank(b *testing.B) {
	for _, d := range []int{384, 1536} {
		b.Run(fmt.Sprintf("d=%d", d), func(b *testing.B) { benchLowRank(b, d) })
	}
}

func benchLowRank(b *testing.B, d int) {
	const N, rk = 2048, 8
	r := rand.New(rand.NewPCG(1, 2))
	x, w, h, g := randSlice(r, N*d), randSlice(r, rk*d), randSlice(r, N*rk), make([]float32, rk*d)
	flops := float64(2 * N * d * rk)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"down", func() { LowRankDown(h, x, w, N, d, rk, 1) }},
		{"up", func() { LowRankUp(x, h, w, N, d, rk) }},
		{"grad", func() { LowRankGrad(g, h, x, N, d, rk) }},
		{"down/sgemm", func() { Sgemm(false, true, rk, N, d, 1, w, d, x, d, 0, h, N) }},
		{"up/sgemm", func() { Sgemm(true, false, N, d, rk, 1, h, N, w, d, 1, x, d) }},
		{"grad/sgemm", func() { Sgemm(false, false, rk, d, N, 1, h, N, x, d, 1, g, d) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				c.f()
			}
			reportFlops(b, flops, cpu0)
		})
	}
}

// TestLowRankThreeRows checks that the kernels taking three rows at once
// give the bits of three one-row calls, for widths that end mid-vector.
func TestLowRankThreeRows(t *testing.T) {
	if !lowRank8 {
		t.Skip("no AVX-512 low-rank kernels on this machine")
	}
	r := rand.New(rand.NewPCG(13, 14))
	for _, d := range []int{1, 7, 16, 31, 32, 33, 50, 96, 130, 384} {
		const hs = 11 // rows of h wider than 8, as with rank 11
		x, w, h := randSlice(r, 3*d), randSlice(r, 8*d), randSlice(r, 3*hs)
		down1, down3 := make([]float32, 3*hs), make([]float32, 3*hs)
		for q := range 3 {
			lowRankDown8(x[q*d:], w, down1[q*hs:], d, 0.3)
		}
		lowRankDown8x3(x, w, down3, d, hs, 0.3)
		up1, up3 := append([]float32(nil), x...), append([]float32(nil), x...)
		for q := range 3 {
			lowRankUp8(up1[q*d:], h[q*hs:], w, d)
		}
		lowRankUp8x3(up3, h, w, d, hs)
		for i := range down1 {
			if math.Float32bits(down1[i]) != math.Float32bits(down3[i]) {
				t.Fatalf("d=%d: down of three rows differs at %d: %g, one row at a time %g", d, i, down3[i], down1[i])
			}
		}
		for i := range up1 {
			if math.Float32bits(up1[i]) != math.Float32bits(up3[i]) {
				t.Fatalf("d=%d: up of three rows differs at %d: %g, one row at a time %g", d, i, up3[i], up1[i])
			}
		}
	}
}
