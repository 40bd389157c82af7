package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// refGemm is the float64 definition Sgemm is checked against.
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	out := make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			out[i*n+j] = v
		}
	}
	return out
}

type gemmCase struct {
	ta, tb      bool
	m, n, k     int
	pad         int
	alpha, beta float32
}

func (c gemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s/%dx%dx%d/pad%d/a%g/b%g", t(c.ta), t(c.tb), c.m, c.n, c.k, c.pad, c.alpha, c.beta)
}

func runGemmCase(t *testing.T, r *rand.Rand, c gemmCase) {
	a, b, cm, lda, ldb, ldc := gemmOperands(r, c)
	if c.beta == 0 {
		for i := range cm {
			cm[i] = float32(math.NaN())
		}
	}
	want := refGemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cm, ldc)
	got := append([]float32(nil), cm...)
	Sgemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got, ldc)
	tol := 1e-5 * math.Sqrt(float64(c.k)+1) * 4
	for i := range c.m {
		for j := range ldc {
			g := got[i*ldc+j]
			if j >= c.n {
				if math.Float32bits(g) != math.Float32bits(cm[i*ldc+j]) {
					t.Fatalf("%v: C[%d][%d] outside n was written", c, i, j)
				}
				continue
			}
			w := want[i*c.n+j]
			if math.Abs(float64(g)-w) > tol*(1+math.Abs(w)) || math.IsNaN(float64(g)) {
				t.Fatalf("%v: C[%d][%d] = %g, want %g", c, i, j, g, w)
			}
		}
	}
}

func TestSgemm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{{1, 1, 1}, {7, 17, 33}, {17, 7, 1}, {33, 33, 33}, {12, 32, 256}, {13, 33, 257},
		{100, 70, 600}, {25, 40, 1024}, {25, 1100, 19}, {1, 1000, 7}, {1000, 1, 9}, {96, 64, 64}}
	for _, sz := range sizes {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-1.5, 0.25}} {
					for _, pad := range []int{0, 3} {
						c := gemmCase{ta, tb, sz[0], sz[1], sz[2], pad, ab[0], ab[1]}
						t.Run(c.String(), func(t *testing.T) { runGemmCase(t, r, c) })
					}
				}
			}
		}
	}
}

func TestSgemmDegenerate(t *testing.T) {
	c := []float32{1, 2, 3, 4}
	Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 2, c, 2)
	if c[3] != 8 {
		t.Fatalf("k=0 must scale C by beta, got %v", c)
	}
	Sgemm(false, false, 0, 2, 3, 1, nil, 3, make([]float32, 6), 2, 0, nil, 2)
}

func TestSgemmPanicsOnShortSlices(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a short A")
		}
	}()
	Sgemm(false, false, 4, 4, 4, 1, make([]float32, 15), 4, make([]float32, 16), 4, 0, make([]float32, 16), 4)
}

// withThreads runs f with the pool set to n threads, restoring the default.
func withThreads(n int, f func()) {
	SetThreads(n)
	defer SetThreads(0)
	f()
}

func TestSgemmThreadsBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []gemmCase{{false, true, 203, 1100, 300, 0, 1, 0}, {true, false, 130, 77, 700, 1, 1, 1}, {false, false, 5, 900, 64, 0, 1, 0}} {
		a := randSlice(r, c.m*c.k+c.k*c.m+c.pad*max(c.m, c.k))
		b := randSlice(r, c.n*c.k+c.pad*max(c.n, c.k))
		c0 := randSlice(r, c.m*(c.n+c.pad))
		lda, ldb := c.k+c.pad, c.n+c.pad
		if c.ta {
			lda = c.m + c.pad
		}
		if c.tb {
			ldb = c.k + c.pad
		}
		var ref []float32
		for _, th := range []int{1, 2, 3} {
			got := append([]float32(nil), c0...)
			withThreads(th, func() { Sgemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got, c.n+c.pad) })
			if ref == nil {
				ref = got
				continue
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
					t.Fatalf("%v: %d threads differ from 1 at %d: %g vs %g", c, th, i, got[i], ref[i])
				}
			}
		}
	}
}
