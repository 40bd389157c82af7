package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestToBF16(t *testing.T) {
	for _, c := range []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // tie, even stays
		{0x3f818000, 0x3f82}, // tie, odd rounds up
		{0x3f808001, 0x3f81}, // above the tie
		{0x3f807fff, 0x3f80}, // below the tie
		{0xbf818000, 0xbf82}, // sign does not change the rounding
		{0x00000001, 0x0000}, // denormal flushed
		{0x807fffff, 0x8000}, // negative denormal keeps its sign
		{0x7f7fffff, 0x7f80}, // max float rounds to infinity
		{0x7f800000, 0x7f80}, // +Inf
		{0x7f800001, 0x7fc0}, // signalling NaN becomes quiet
		{0xffc00000, 0xffc0},
	} {
		if got := ToBF16(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("ToBF16(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
}

// oddFloats mixes normal values with the cases conversions get wrong:
// ties, denormals, infinities and NaNs.
func oddFloats(r *rand.Rand, n int) []float32 {
	x := randSlice(r, n)
	special := []uint32{0x3f808000, 0x3f818000, 0x00000001, 0x807fffff, 0x7f7fffff, 0x7f800000, 0xff800000, 0x7f800001, 0xffc00000, 0}
	for i := range x {
		if r.IntN(4) == 0 {
			x[i] = math.Float32frombits(special[r.IntN(len(special))])
		}
	}
	return x
}

func TestBF16ConversionsMatchGo(t *testing.T) {
	if !hasAVX512BF16 {
		t.Skip("no AVX512-BF16: the conversions are the Go code itself")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for n := range 70 {
		src, src1 := oddFloats(r, n+1), oddFloats(r, n+1)
		got, want := make([]uint16, n+1), make([]uint16, n+1)
		cvtBF16(got[:n], src[:n])
		cvtBF16Go(want[:n], src[:n])
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("n=%d: cvt[%d] of %#08x = %#04x, want %#04x", n, i, math.Float32bits(src[i]), got[i], want[i])
			}
		}
		gp, wp := make([]uint32, n+1), make([]uint32, n+1)
		pairBF16(gp[:n], src[:n], src1[:n])
		pairBF16Go(wp[:n], src[:n], src1[:n])
		for i := range gp {
			if gp[i] != wp[i] {
				t.Fatalf("n=%d: pair[%d] = %#08x, want %#08x", n, i, gp[i], wp[i])
			}
		}
	}
}

func TestPackBTBF16MatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	const ld, pairs = 45, 21
	src := oddFloats(r, nr*ld)
	for _, w := range []int{1, 16, 17, nr} {
		got, want := make([]uint32, pairs*nr), make([]uint32, pairs*nr)
		for i := range got {
			got[i], want[i] = 0xdeadbeef, 0xdeadbeef
		}
		if !packBTBF16Fast(got, src, ld, pairs, w) {
			t.Skip("no AVX512-BF16 packing")
		}
		packBTBF16Go(want, src, ld, pairs, w)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("w=%d: dst[%d] = %#08x, want %#08x", w, i, got[i], want[i])
			}
		}
	}
}

// refGemmBF16 is GemmBF16's arithmetic written out: operands rounded to
// bf16, each depth block summed pair by pair as VDPBF16PS does (odd product
// first), blocks folded into C as alpha·acc + beta·C.
func refGemmBF16(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	at := func(i, p int) float32 {
		if p >= k {
			return 0
		}
		if transA {
			return FromBF16(ToBF16(a[p*lda+i]))
		}
		return FromBF16(ToBF16(a[i*lda+p]))
	}
	bt := func(p, j int) float32 {
		if p >= k {
			return 0
		}
		if transB {
			return FromBF16(ToBF16(b[j*ldb+p]))
		}
		return FromBF16(ToBF16(b[p*ldb+j]))
	}
	var g gemm
	g.k = k
	g.useBF16()
	for i := range m {
		for j := range n {
			cv := c[i*ldc+j]
			for pc := 0; pc < k; pc += g.kc {
				var acc float32
				for p := pc; p < min(pc+g.kc, k); p += 2 {
					acc = flushDenormal(acc + at(i, p+1)*bt(p+1, j))
					acc = flushDenormal(acc + at(i, p)*bt(p, j))
				}
				bc := float32(1)
				if pc == 0 {
					bc = beta
				}
				if bc == 0 {
					cv = alpha * acc
				} else {
					cv = alpha*acc + bc*cv
				}
			}
			c[i*ldc+j] = cv
		}
	}
}

// gemmOperands returns random A, B and C for c, rows padded by c.pad.
func gemmOperands(r *rand.Rand, c gemmCase) (a, b, cm []float32, lda, ldb, ldc int) {
	ar, ac, br, bc := operandDims(c.ta, c.tb, c.m, c.n, c.k)
	lda, ldb, ldc = ac+c.pad, bc+c.pad, c.n+c.pad
	a = randSlice(r, max(0, (ar-1)*lda+ac))
	b = randSlice(r, max(0, (br-1)*ldb+bc))
	cm = randSlice(r, c.m*ldc)
	return
}

// withPath runs f on the bf16 path name, restoring the default.
func withPath(t *testing.T, name string, f func()) {
	t.Helper()
	old := Path()
	if err := SetPath(name); err != nil {
		t.Skip(err)
	}
	defer SetPath(old)
	f()
}

// bf16Sizes include a shape whose transposed A each work item converts
// itself (gemm.convertAPerItem: 800 rows, one column block), at an odd
// depth.
var bf16Sizes = [][3]int{{1, 1, 1}, {7, 17, 33}, {17, 7, 2}, {13, 33, 257}, {12, 32, 512},
	{25, 70, 1100}, {100, 70, 600}, {1, 1000, 7}, {50, 1100, 19}, {100, 40, 601}, {800, 40, 257}}

func TestGemmBF16UnitsExact(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	withPath(t, PathAVX512BF16, func() {
		for _, sz := range bf16Sizes {
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					for _, ab := range [][2]float32{{1, 0}, {0.5, 1}} {
						c := gemmCase{ta, tb, sz[0], sz[1], sz[2], 3, ab[0], ab[1]}
						t.Run(c.String(), func(t *testing.T) {
							a, b, cm, lda, ldb, ldc := gemmOperands(r, c)
							want := append([]float32(nil), cm...)
							refGemmBF16(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, want, ldc)
							got := append([]float32(nil), cm...)
							GemmBF16(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got, ldc)
							for i := range got {
								if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
									t.Fatalf("C[%d][%d] = %g, want %g", i/ldc, i%ldc, got[i], want[i])
								}
							}
						})
					}
				}
			}
		}
	})
}

// TestGemmBF16FP32Path checks the fp32 path against Sgemm on operands
// rounded beforehand: the same multiply, bit for bit.
func TestGemmBF16FP32Path(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	withPath(t, PathFP32, func() {
		for _, sz := range bf16Sizes {
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					c := gemmCase{ta, tb, sz[0], sz[1], sz[2], 3, 0.5, 1}
					a, b, cm, lda, ldb, ldc := gemmOperands(r, c)
					got := append([]float32(nil), cm...)
					GemmBF16(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got, ldc)
					RoundBF16(a, a)
					RoundBF16(b, b)
					want := append([]float32(nil), cm...)
					Sgemm(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, want, ldc)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%v: C[%d] = %g, want %g", c, i, got[i], want[i])
						}
					}
				}
			}
		}
	})
}

// TestGemmBF16PathsAgree bounds the difference of the two paths, which
// differ only in summation order: both are within fp32 rounding of the
// exact product of the rounded operands.
func TestGemmBF16PathsAgree(t *testing.T) {
	if !hasAVX512BF16 {
		t.Skip("no AVX512-BF16")
	}
	r := rand.New(rand.NewPCG(11, 12))
	c := gemmCase{false, true, 64, 96, 777, 0, 1, 0}
	a, b, cm, lda, ldb, ldc := gemmOperands(r, c)
	res := map[string][]float32{}
	for _, p := range []string{PathFP32, PathAVX512BF16} {
		withPath(t, p, func() {
			res[p] = append([]float32(nil), cm...)
			GemmBF16(c.ta, c.tb, c.m, c.n, c.k, 1, a, lda, b, ldb, 0, res[p], ldc)
		})
	}
	tol := 1e-5 * math.Sqrt(float64(c.k))
	for i, u := range res[PathAVX512BF16] {
		if v := res[PathFP32][i]; math.Abs(float64(u-v)) > tol*(1+math.Abs(float64(v))) {
			t.Fatalf("C[%d]: bf16 units %g, fp32 path %g", i, u, v)
		}
	}
}

func TestGemmBF16ThreadsBitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, p := range []string{PathFP32, PathAVX512BF16} {
		withPath(t, p, func() {
			for _, c := range []gemmCase{{false, true, 203, 1100, 300, 0, 1, 0}, {true, false, 130, 77, 1300, 1, 1, 1}, {false, false, 5, 900, 64, 0, 1, 0}} {
				a, b, c0, lda, ldb, ldc := gemmOperands(r, c)
				var ref []float32
				for _, th := range []int{1, 2, 3} {
					got := append([]float32(nil), c0...)
					withThreads(th, func() { GemmBF16(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, got, ldc) })
					if ref == nil {
						ref = got
						continue
					}
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
							t.Fatalf("%s %v: %d threads differ from 1 at %d", p, c, th, i)
						}
					}
				}
			}
		})
	}
}

func TestSetPathRejects(t *testing.T) {
	if err := SetPath("amx"); err == nil {
		t.Fatal("SetPath accepted an unknown path")
	}
	if !hasAVX512BF16 {
		if err := SetPath(PathAVX512BF16); err == nil {
			t.Fatal("SetPath accepted avx512bf16 on a CPU without it")
		}
	}
}
