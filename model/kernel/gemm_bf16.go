package kernel

import (
	"math"
	"unsafe"
)

// precision selects how gemmRun multiplies.
type precision uint8

const (
	precFP32        precision = iota
	precBF16                  // bf16 pairs on the bf16 units
	precBF16Rounded           // operands rounded to bf16, fp32 kernels
)

// kcMaxBF16 is the packed depth of a bf16 block: a 32-column panel of it
// takes the same 32 KiB of L1 as kcMax fp32 depths.
const kcMaxBF16 = 2 * kcMax

// GemmBF16 is Sgemm with op(A) and op(B) rounded to bfloat16 (ToBF16) and
// products summed in fp32; C, alpha, beta and the accumulation stay fp32.
// It takes the path Path reports; on either path results are identical for
// any thread count.
func GemmBF16(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmBF16Bias(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
}

func gemmBF16Bias(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32) {
	gemmRun(bf16Prec(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias)
}

// bf16Prec is the arithmetic of bf16 multiplies on the current path.
func bf16Prec() precision {
	if bf16Units.Load() {
		return precBF16
	}
	return precBF16Rounded
}

// useBF16 switches g to bf16 pairs: blocks of even depth, so every block
// but the last starts on a pair.
func (g *gemm) useBF16() {
	g.bf16 = true
	kb := (g.k + kcMaxBF16 - 1) / kcMaxBF16
	g.kc = roundUp((g.k+kb-1)/kb, 2)
}

// convertA rounds op(A) to bf16 pairs once per call, into rows the kernel
// reads with strides abfSI and abfSP. Untransposed, row i holds its depths
// in order (pairs adjacent in memory); transposed, pair row p holds the
// pairs (A[2p][i], A[2p+1][i]) of every i, so that the kernel reads the 12
// rows of a strip side by side. Rows are padded to whole strips with zeros.
// With p nil it runs on the calling goroutine.
func (g *gemm) convertA(p *pool) {
	g.apad = roundUp(g.m, mr)
	kp := roundUp(g.k, 2)
	g.abf = growU16(g.abf, g.apad*kp)
	if poisonBF16A {
		for i := range g.abf {
			g.abf[i] = 0x7fc0 // NaN: a read of an unconverted element shows
		}
	}
	n, grain := g.m, 16
	if !g.transA {
		g.abfSI, g.abfSP = 2*kp, 4
		clear(g.abf[g.m*kp:])
	} else {
		g.abfSI, g.abfSP = 4, 4*g.apad
		g.zeros = grow(g.zeros, g.m)
		clear(g.zeros)
		n, grain = kp/2, 4
	}
	if p == nil {
		(&cvtAOp{g: g}).rangeRun(0, n, nil)
		return
	}
	o := &p.ops.cvtA
	*o = cvtAOp{g: g}
	p.parallelRange(o, n, grain)
	*o = cvtAOp{}
}

// convertAPerItem leaves a transposed A to be converted by each work item,
// its rows and the current depth block only, just before the kernel reads
// them: a conversion of the whole of A beforehand was a pass over memory
// (dout, in a weight gradient) that cost 45% more CPU time at two threads
// than at one.
func (g *gemm) convertAPerItem() {
	g.itemA = true
	g.abfSI = 4
	if g.k%2 == 1 {
		g.zeros = grow(g.zeros, g.m)
		clear(g.zeros)
	}
}

// convertItemA converts rows [ic, ic+mcur) of transposed A over the current
// depth block into s, pair row p at p*mp (mp: mcur padded to a strip), in
// the layout convertA writes, and returns the buffer and its pair stride in
// bytes.
func (g *gemm) convertItemA(s *scratch, ic, mcur int) ([]uint32, int) {
	mp := roundUp(mcur, mr)
	kc2 := (g.kcur + 1) / 2
	s.apack16 = growU32(s.apack16, kc2*mp)
	buf := s.apack16[:kc2*mp]
	for p := range kc2 {
		d := buf[p*mp : (p+1)*mp]
		d0 := g.pc + 2*p
		r0 := g.a[d0*g.lda+ic:][:mcur]
		var r1 []float32
		if d0+1 < g.k {
			r1 = g.a[(d0+1)*g.lda+ic:][:mcur]
		} else {
			r1 = g.zeros[:mcur]
		}
		pairBF16(d[:mcur], r0, r1)
		clear(d[mcur:])
	}
	return buf, 4 * mp
}

// poisonBF16A fills converted A buffers with NaN first, so that tests see
// a read of an element convertA skipped.
var poisonBF16A bool

type cvtAOp struct{ g *gemm }

// rangeRun converts rows [lo, hi) of op(A) (pair rows when transposed).
// Under the causal modes only what blockBF16 reads is converted: untransposed
// with triKPrefix, a row's depths up to its strip's end; transposed with
// triKSuffix, a pair row's entries for the strips that start at or before
// it. That halves the conversions inside attention.
func (o *cvtAOp) rangeRun(lo, hi int, _ *scratch) {
	g := o.g
	kp := roundUp(g.k, 2)
	for r := lo; r < hi; r++ {
		if !g.transA {
			row := g.abf[r*kp : (r+1)*kp]
			if g.tri == triKPrefix {
				if need := roundUp(min(g.m, (r/mr+1)*mr), 2); need < kp {
					cvtBF16(row[:need], g.a[r*g.lda:r*g.lda+need])
					continue
				}
			}
			cvtBF16(row[:g.k], g.a[r*g.lda:r*g.lda+g.k])
			if g.k < kp {
				row[g.k] = 0 // the padding depth of an odd k
			}
			continue
		}
		dst := u16AsU32(g.abf[2*r*g.apad : 2*(r+1)*g.apad])
		w := g.m
		if g.tri == triKSuffix {
			// Strips starting after depth 2r+1 never read this pair row;
			// below apad the cut is a whole strip short of m.
			if end := ((2*r+1)/mr + 1) * mr; end < g.apad {
				w = end
			}
		}
		r0 := g.a[2*r*g.lda : 2*r*g.lda+w]
		r1 := g.zeros
		if 2*r+1 < g.k {
			r1 = g.a[(2*r+1)*g.lda : (2*r+1)*g.lda+w]
		}
		pairBF16(dst[:w], r0, r1)
		if w == g.m {
			clear(dst[g.m:])
		}
	}
}

// packBBF16 packs panel q of the current block as pairs:
// bp16[q*kc2*nr + p*nr + j] holds depths 2p and 2p+1 of column j, with a
// zero second half past an odd depth and zero columns past n.
func (g *gemm) packBBF16(q int) {
	kc2 := (g.kcur + 1) / 2
	dst := g.bp16[q*kc2*nr : (q+1)*kc2*nr]
	j0 := g.jc + q*nr
	w := min(nr, g.n-j0)
	full := g.kcur / 2
	if g.transB {
		if !packBTBF16Fast(dst, g.b[j0*g.ldb+g.pc:], g.ldb, full, w) {
			packBTBF16Go(dst, g.b[j0*g.ldb+g.pc:], g.ldb, full, w)
		}
		if full < kc2 {
			d := dst[full*nr : kc2*nr]
			for j := range w {
				d[j] = uint32(ToBF16(g.b[(j0+j)*g.ldb+g.pc+g.kcur-1]))
			}
			clear(d[w:])
		}
		return
	}
	var zeros [nr]float32
	for p := range kc2 {
		d := dst[p*nr : p*nr+nr]
		r0 := g.b[(g.pc+2*p)*g.ldb+j0:][:w]
		r1 := zeros[:w]
		if 2*p+1 < g.kcur {
			r1 = g.b[(g.pc+2*p+1)*g.ldb+j0:][:w]
		}
		pairBF16(d[:w], r0, r1)
		clear(d[w:])
	}
}

// packBTBF16Go sets dst[p*nr + j] to the pair (src[j*ld + 2p],
// src[j*ld + 2p+1]) for p < pairs and j < w, zero for j ≥ w.
func packBTBF16Go(dst []uint32, src []float32, ld, pairs, w int) {
	for p := range pairs {
		d := dst[p*nr : p*nr+nr]
		for j := range w {
			row := src[j*ld+2*p:]
			d[j] = uint32(ToBF16(row[0])) | uint32(ToBF16(row[1]))<<16
		}
		clear(d[w:])
	}
}

// blockBF16 is block for bf16 pairs: A was converted whole by convertA, or
// is converted here (convertAPerItem).
// Under g.tri a strip's depth range widens to whole pairs; the depth it
// gains has a zero operand (or, for triSkipUpper, none is skipped by depth),
// and the range still depends only on the strip.
func (g *gemm) blockBF16(s *scratch, ic, mcur, q0, q1 int) {
	kc2 := (g.kcur + 1) / 2
	sp := g.abfSP
	var own []uint32
	if g.itemA {
		own, sp = g.convertItemA(s, ic, mcur)
	}
	for i0 := 0; i0 < mcur; i0 += mr {
		rows := min(mr, mcur-i0)
		r := ic + i0
		lo, hi := g.kRange(r, r+rows)
		lo, hi = lo/2, (hi+1)/2
		if lo >= hi {
			continue
		}
		var ap *uint16
		switch {
		case g.itemA:
			ap = (*uint16)(unsafe.Pointer(&own[i0]))
		case !g.transA:
			ap = &g.abf[r*roundUp(g.k, 2)+g.pc]
		default:
			ap = &g.abf[2*(g.pc/2*g.apad+r)]
		}
		ap = (*uint16)(unsafe.Add(unsafe.Pointer(ap), lo*sp))
		crow := r * g.ldc
		for q := q0; q < q1; q++ {
			j0 := g.jc + q*nr
			if g.skipTile(r+rows, j0) {
				continue
			}
			kernBF16(hi-lo, ap, g.abfSI, sp, &g.bp16[q*kc2*nr+lo*nr], &g.c[crow+j0], g.ldc,
				g.alpha, g.betaCur, rows, min(nr, g.n-j0), g.biasAt(j0))
		}
	}
}

// roundOperands copies op(A) and op(B) rounded to bf16 into p's buffers,
// for the fp32 path of GemmBF16.
func (p *pool) roundOperands(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int) ([]float32, []float32) {
	ar, ac, br, bc := operandDims(transA, transB, m, n, k)
	na, nb := (ar-1)*lda+ac, (br-1)*ldb+bc
	p.roundA, p.roundB = grow(p.roundA, na), grow(p.roundB, nb)
	o := &p.ops.round
	for _, x := range [2]struct{ dst, src []float32 }{{p.roundA, a[:na]}, {p.roundB, b[:nb]}} {
		*o = roundOp{dst: x.dst, src: x.src}
		p.parallelRange(o, len(x.dst), 1<<14)
	}
	*o = roundOp{}
	return p.roundA, p.roundB
}

// roundOperands is pool.roundOperands on the calling goroutine, into s's
// buffers.
func (s *scratch) roundOperands(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int) ([]float32, []float32) {
	ar, ac, br, bc := operandDims(transA, transB, m, n, k)
	na, nb := (ar-1)*lda+ac, (br-1)*ldb+bc
	s.roundA, s.roundB = grow(s.roundA, na), grow(s.roundB, nb)
	RoundBF16(s.roundA, a[:na])
	RoundBF16(s.roundB, b[:nb])
	return s.roundA, s.roundB
}

type roundOp struct{ dst, src []float32 }

func (o *roundOp) rangeRun(lo, hi int, _ *scratch) { RoundBF16(o.dst[lo:hi], o.src[lo:hi]) }

func growU16(buf []uint16, n int) []uint16 {
	if cap(buf) < n {
		return zeros[uint16](n)
	}
	return buf[:n]
}

func growU32(buf []uint32, n int) []uint32 {
	if cap(buf) < n {
		return zeros[uint32](n)
	}
	return buf[:n]
}

// u16AsU32 views an even-length bf16 buffer as pairs.
func u16AsU32(b []uint16) []uint32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), len(b)/2)
}

// cvtBF16Go sets dst[i] = ToBF16(src[i]).
func cvtBF16Go(dst []uint16, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = ToBF16(v)
	}
}

// pairBF16Go sets dst[j] = ToBF16(r0[j]) | ToBF16(r1[j])<<16.
func pairBF16Go(dst []uint32, r0, r1 []float32) {
	r0, r1 = r0[:len(dst)], r1[:len(dst)]
	for j := range dst {
		dst[j] = uint32(ToBF16(r0[j])) | uint32(ToBF16(r1[j]))<<16
	}
}

// kernelBF16Go is the portable bf16 micro-kernel with VDPBF16PS's
// arithmetic (Intel SDM): per pair, the odd product is added first, then
// the even one, each sum rounded to fp32, denormal sums flushed to zero.
func kernelBF16Go(k2 int, a *uint16, sI, sP int, b *uint32, c *float32, ldc int, alpha, beta float32, rows, cols int, bias *float32) {
	var acc [mr * nr]float32
	bs := unsafe.Slice(b, k2*nr)
	for i := range rows {
		for p := range k2 {
			pa := *(*uint32)(unsafe.Add(unsafe.Pointer(a), i*sI+p*sP))
			a0, a1 := FromBF16(uint16(pa)), FromBF16(uint16(pa>>16))
			for j := range cols {
				pb := bs[p*nr+j]
				t := flushDenormal(acc[i*nr+j] + a1*FromBF16(uint16(pb>>16)))
				acc[i*nr+j] = flushDenormal(t + a0*FromBF16(uint16(pb)))
			}
		}
	}
	storeTile(&acc, c, ldc, alpha, beta, rows, cols, bias)
}

func flushDenormal(x float32) float32 {
	if math.Float32bits(x)&0x7f800000 == 0 {
		return 0 * x
	}
	return x
}
