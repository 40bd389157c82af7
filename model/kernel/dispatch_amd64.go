//go:build amd64 && !purego

package kernel

import (
	"math"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// kernelN12x32AVX512 reads A packed row by row (sP = 1, any sI);
// kernelT12x32AVX512 reads A packed in depth-major strips (sI = 1, sP = mr).
// Fixed strides let both unroll the depth loop with constant offsets.

//go:noescape
func kernelN12x32AVX512(k int, a *float32, sI, sP int, b *float32, c *float32, ldc int, alpha, beta float32, rows int, m1, m2 uint16, bias *float32)

//go:noescape
func kernelT12x32AVX512(k int, a *float32, sI, sP int, b *float32, c *float32, ldc int, alpha, beta float32, rows int, m1, m2 uint16, bias *float32)

// kernelAVX512 adapts the assembly micro-kernel: column masks for partial
// tiles, and a canonical +0 beta so the kernel can test it bitwise.
func kernelAVX512(k int, a *float32, sI, sP int, b *float32, c *float32, ldc int, alpha, beta float32, rows, cols int, bias *float32) {
	m1, m2 := masks(cols)
	if beta == 0 {
		beta = 0
	}
	if sP == 1 {
		kernelN12x32AVX512(k, a, sI, sP, b, c, ldc, alpha, beta, rows, m1, m2, bias)
	} else {
		kernelT12x32AVX512(k, a, sI, sP, b, c, ldc, alpha, beta, rows, m1, m2, bias)
	}
}

var (
	useAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL
	useAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
)

var kern microKernel = pickKernel()

func pickKernel() microKernel {
	switch {
	case useAVX512:
		return kernelAVX512
	case useAVX2:
		return kernelAVX2
	}
	return kernelGo
}

// fmaPeakAVX512 measures the FMA ceiling for benchmarks (24·n FMAs).
func fmaPeakAVX512(n int)

//go:noescape
func kernel6x16AVX2(k int, a *float32, sI, sP int, b *float32, c *float32, ldc int, alpha, beta float32, bias *float32)

// kernelAVX2 computes a 12×32 tile as four 6×16 quarters (16 ymm registers
// hold only a quarter). Each C element still sums over p in order. Partial
// tiles go through a scratch tile, since AVX2 has no masked stores that fit.
func kernelAVX2(k int, a *float32, sI, sP int, b *float32, c *float32, ldc int, alpha, beta float32, rows, cols int, bias *float32) {
	if rows == mr && cols == nr {
		kernelQuartersAVX2(k, a, sI, sP, b, c, ldc, alpha, beta, bias)
		return
	}
	var tile [mr * nr]float32
	kernelQuartersAVX2(k, a, sI, sP, b, &tile[0], nr, 1, 0, nil)
	storeTile(&tile, c, ldc, alpha, beta, rows, cols, bias)
}

func kernelQuartersAVX2(k int, a *float32, sI, sP int, b *float32, c *float32, ldc int, alpha, beta float32, bias *float32) {
	const f = unsafe.Sizeof(float32(0))
	if beta == 0 {
		beta = 0
	}
	for h := range 2 {
		ah := unsafe.Add(unsafe.Pointer(a), uintptr(6*h*sI)*f)
		ch := unsafe.Add(unsafe.Pointer(c), uintptr(6*h*ldc)*f)
		for q := range 2 {
			bq := unsafe.Add(unsafe.Pointer(b), uintptr(16*q)*f)
			cq := unsafe.Add(ch, uintptr(16*q)*f)
			var biasq *float32
			if bias != nil {
				biasq = (*float32)(unsafe.Add(unsafe.Pointer(bias), uintptr(16*q)*f))
			}
			kernel6x16AVX2(k, (*float32)(ah), sI, sP, (*float32)(bq), (*float32)(cq), ldc, alpha, beta, biasq)
		}
	}
}

//go:noescape
func packATAVX512(dst, src *float32, ld, kcur, mcur int)

//go:noescape
func packBNAVX512(dst, src *float32, ld, kcur int, m1, m2 uint16)

//go:noescape
func packBTAVX512(dst, src *float32, idx *int32, ld, kcur int, m1, m2 uint16)

// gatherOffsets are the element offsets of 16 rows ld apart, for the
// transposed packings' gathers.
func gatherOffsets(ld int) (idx [16]int32) {
	for j := range idx {
		idx[j] = int32(j * ld)
	}
	return idx
}

func masks(w int) (uint16, uint16) {
	if w >= 32 {
		return 0xffff, 0xffff
	}
	if w <= 16 {
		return uint16(1<<w - 1), 0
	}
	return 0xffff, uint16(1<<(w-16) - 1)
}

// packATBlock packs mcur columns of op(A) = Aᵀ (rows of A from src, stride
// ld) into mr-wide strips, kcur deep; see gemm.block.
func packATBlock(dst, src []float32, ld, kcur, mcur int) bool {
	if !useAVX512 {
		return false
	}
	// bounds: last strip is written whole, last row read up to mcur
	_ = dst[roundUp(mcur, mr)*kcur-1]
	_ = src[(kcur-1)*ld+mcur-1]
	packATAVX512(&dst[0], &src[0], ld, kcur, mcur)
	return true
}

func packBNFast(dst, src []float32, ld, kcur, w int) bool {
	if !useAVX512 {
		return false
	}
	_ = dst[kcur*nr-1]
	_ = src[(kcur-1)*ld+w-1]
	m1, m2 := masks(w)
	packBNAVX512(&dst[0], &src[0], ld, kcur, m1, m2)
	return true
}

func packBTFast(dst, src []float32, ld, kcur, w int) bool {
	if !useAVX512 || 16*ld >= 1<<31 {
		return false
	}
	_ = dst[kcur*nr-1]
	_ = src[(w-1)*ld+kcur-1]
	idx := gatherOffsets(ld)
	m1, m2 := masks(w)
	packBTAVX512(&dst[0], &src[0], &idx[0], ld, kcur, m1, m2)
	return true
}

// ISA names the instruction set the matrix kernels use: "avx512", "avx2"
// (elementwise kernels then run portable Go) or "go".
func ISA() string {
	switch {
	case useAVX512:
		return "avx512"
	case useAVX2:
		return "avx2"
	}
	return "go"
}

var (
	axpy         = pick(axpyAVX, axpyGo)
	scale        = pick(scaleAVX, scaleGo)
	sum          = pick(sumAVX, sumGo)
	maxf         = pick(maxAVX, maxGo)
	dot          = pick(dotAVX, dotGo)
	geluForward  = pick(geluForwardAVX, geluForwardGo)
	geluBackward = pick(geluBackwardAVX, geluBackwardGo)
	expShift     = pick(expShiftAVX, expShiftGo)
	expSum       = pick(expSumAVX, expSumGo)
	adamw        = pick(adamwAVX, adamwGo)

	softmaxBack         = pick(softmaxBackAVX, softmaxBackGo)
	sumSqDiff           = pick(sumSqDiffAVX, sumSqDiffGo)
	normAffine          = pick(normAffineAVX, normAffineGo)
	layerNormBackRow    = pick(layerNormBackRowAVX, layerNormBackRowGo)
	layerNormBackParams = pick(layerNormBackParamsAVX, layerNormBackParamsGo)
)

func pick[F any](avx, portable F) F {
	if useAVX512 {
		return avx
	}
	return portable
}

// The assembly routines take lengths and raw pointers; the wrappers below
// reslice first so that a short slice panics in Go, not in assembly.

//go:noescape
func axpyAVX512(a float32, x, y *float32, n int)

//go:noescape
func scaleAVX512(a float32, x *float32, n int)

//go:noescape
func sumAVX512(x *float32, n int) float32

//go:noescape
func maxAVX512(x *float32, n int) float32

//go:noescape
func dotAVX512(x, y *float32, n int) float32

//go:noescape
func geluFwdAVX512(out, inp *float32, n int)

//go:noescape
func geluBwdAVX512(dinp, inp, dout *float32, n int)

//go:noescape
func expShiftAVX512(dst, x *float32, n int, m float32) float32

//go:noescape
func expSumAVX512(x *float32, n int, m float32) float32

//go:noescape
func adamwAVX512(p, grad, m, v *float32, n int, hp *[10]float32)

func axpyAVX(a float32, x, y []float32) {
	if len(x) > 0 {
		y = y[:len(x)]
		axpyAVX512(a, &x[0], &y[0], len(x))
	}
}

func scaleAVX(a float32, x []float32) {
	if len(x) > 0 {
		scaleAVX512(a, &x[0], len(x))
	}
}

func sumAVX(x []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return sumAVX512(&x[0], len(x))
}

func maxAVX(x []float32) float32 {
	if len(x) == 0 {
		return float32(math.Inf(-1))
	}
	return maxAVX512(&x[0], len(x))
}

func dotAVX(x, y []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	y = y[:len(x)]
	return dotAVX512(&x[0], &y[0], len(x))
}

func geluForwardAVX(out, inp []float32) {
	if len(out) > 0 {
		inp = inp[:len(out)]
		geluFwdAVX512(&out[0], &inp[0], len(out))
	}
}

func geluBackwardAVX(dinp, inp, dout []float32) {
	if len(dinp) > 0 {
		inp, dout = inp[:len(dinp)], dout[:len(dinp)]
		geluBwdAVX512(&dinp[0], &inp[0], &dout[0], len(dinp))
	}
}

func expShiftAVX(dst, x []float32, m float32) float32 {
	if len(x) == 0 {
		return 0
	}
	dst = dst[:len(x)]
	return expShiftAVX512(&dst[0], &x[0], len(x), m)
}

func expSumAVX(x []float32, m float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return expSumAVX512(&x[0], len(x), m)
}

func adamwAVX(p, g, m, v []float32, o *adamOp) {
	if len(p) == 0 {
		return
	}
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	c := o.cfg
	hp := [10]float32{c.Beta1, 1 - c.Beta1, c.Beta2, 1 - c.Beta2, o.c1, o.c2, c.Eps, c.LR, c.WeightDecay, o.gs}
	adamwAVX512(&p[0], &g[0], &m[0], &v[0], len(p), &hp)
}

//go:noescape
func sumSqDiffAVX512(x *float32, n int, m float32) float32

//go:noescape
func normAffineAVX512(out, x, w, b *float32, n int, m, s float32)

//go:noescape
func lnBackRowAVX512(dinp, dout, x, w *float32, n int, m, s float32)

//go:noescape
func lnBackParamRowsAVX512(dw, db, x, dout, mean, rstd *float32, rows, n, ld int)

func sumSqDiffAVX(x []float32, m float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return sumSqDiffAVX512(&x[0], len(x), m)
}

func normAffineAVX(out, x, w, b []float32, m, s float32) {
	if len(x) > 0 {
		out, w, b = out[:len(x)], w[:len(x)], b[:len(x)]
		normAffineAVX512(&out[0], &x[0], &w[0], &b[0], len(x), m, s)
	}
}

func layerNormBackRowAVX(dinp, dout, x, w []float32, m, s float32) {
	if len(x) > 0 {
		dinp, dout, w = dinp[:len(x)], dout[:len(x)], w[:len(x)]
		lnBackRowAVX512(&dinp[0], &dout[0], &x[0], &w[0], len(x), m, s)
	}
}

func layerNormBackParamsAVX(dw, db, x, dout, mean, rstd []float32, ld int) {
	n, rows := len(dw), len(mean)
	if n == 0 || rows == 0 {
		return
	}
	db, rstd = db[:n], rstd[:rows]
	_, _ = x[(rows-1)*ld+n-1], dout[(rows-1)*ld+n-1]
	lnBackParamRowsAVX512(&dw[0], &db[0], &x[0], &dout[0], &mean[0], &rstd[0], rows, n, ld)
}

//go:noescape
func softmaxBackAVX512(d, p *float32, n int, dd float32)

func softmaxBackAVX(d, p []float32, dd float32) {
	if len(d) > 0 {
		p = p[:len(d)]
		softmaxBackAVX512(&d[0], &p[0], len(d), dd)
	}
}
