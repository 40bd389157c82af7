package kernel

import (
	"fmt"
	"sync/atomic"
)

// Blocking follows BLIS (Van Zee and van de Geijn, "BLIS: A Framework for
// Rapidly Instantiating BLAS Functionality", 2015): a packed kc×nc block of
// B stays in L2, a packed mr×kc micro-panel of A stays in L1 while it sweeps
// the B block, and the micro-kernel keeps an mr×nr tile of C in registers.
const (
	mr    = 12     // rows of C per micro-tile (broadcast A values)
	nr    = 32     // columns of C per micro-tile (two 16-float vectors)
	kcMax = 256    // depth of one packed block: 12×256 floats of A fill a quarter of L1
	ncMax = 1024   // columns of one packed B block: 256×1024 floats = 1 MiB of L2
	mcBlk = 2 * mr // rows of C per parallel work item: small items balance two threads within ~3%

	// mcBlkT is the work item for transposed A, whose packing reads each
	// row of A over mcBlkT floats: 96 fills whole cache lines and lets the
	// L2 streamer follow, where 24 left it latency-bound on cold operands.
	mcBlkT = 8 * mr
	kcPad  = 16 // row padding of packed A so its rows do not share cache sets

	// parallelPackMin is the B block size (floats) from which packing is
	// shared among threads; below it waking a worker costs about as much as
	// packing the block alone. Blocks of 256 × 384 (config M's weight
	// gradients) are well above it: packed by one thread, the other waited.
	parallelPackMin = 1 << 15
)

// microKernel computes acc = Σ_p a[i*sI+p*sP] · b[p*nr+j] for the full
// mr×nr tile (a and b are packed and padded) and stores the first rows×cols
// of it as c[i*ldc+j] = alpha*acc + beta*c, reading c only when beta != 0.
// When beta is 0 and bias is not nil it stores alpha*acc + bias[j] instead.
// Strides are in elements. k must be at least 1.
type microKernel func(k int, a *float32, sI, sP int, b *float32, c *float32, ldc int, alpha, beta float32, rows, cols int, bias *float32)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// where op(A) is m×k and op(B) is k×n.
//
// A is m×k with row stride lda ≥ k when transA is false, and k×m with
// lda ≥ m when it is true (op(A) = Aᵀ). Likewise B is k×n (ldb ≥ n) or,
// transposed, n×k (ldb ≥ k). C is m×n with ldc ≥ n. When beta is 0, C is
// not read (it may hold NaN). C must not overlap A or B. Slices must be long
// enough for the last row; Sgemm panics on shapes that do not fit, like a
// BLAS argument check.
//
// Every C element is a sum over k in a fixed order that depends only on k,
// so results are identical for any thread count.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmBias(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
}

// sgemmBias is Sgemm that, with beta 0, also adds bias[j] (len n) to each
// row of C.
func sgemmBias(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32) {
	gemmRun(precFP32, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias)
}

// gemmRun is the driver behind Sgemm and GemmBF16.
func gemmRun(prec precision, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bias []float32) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if bias != nil && (beta != 0 || len(bias) < n) {
		panic("kernel: bias needs beta 0 and n elements")
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		if bias != nil {
			for i := range m {
				copy(c[i*ldc:i*ldc+n], bias)
			}
		}
		return
	}
	p := acquire()
	defer p.release()
	if prec == precBF16Rounded {
		a, b = p.roundOperands(transA, transB, m, n, k, a, lda, b, ldb)
	}
	g := &p.gemm
	g.set(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	g.bias = bias
	if prec == precBF16 {
		g.useBF16()
	}
	g.parallel(p)
	g.clear()
}

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernel.Sgemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac, br, bc := operandDims(transA, transB, m, n, k)
	check := func(name string, buf []float32, rows, cols, ld int) {
		if ld < max(cols, 1) {
			panic(fmt.Sprintf("kernel.Sgemm: leading dimension of %s is %d, want at least %d", name, ld, cols))
		}
		if rows > 0 && cols > 0 && len(buf) < (rows-1)*ld+cols {
			panic(fmt.Sprintf("kernel.Sgemm: %s has %d elements, want at least %d for %dx%d with stride %d",
				name, len(buf), (rows-1)*ld+cols, rows, cols, ld))
		}
	}
	check("A", a, ar, ac, lda)
	check("B", b, br, bc, ldb)
	check("C", c, m, n, ldc)
}

// operandDims returns the stored rows and columns of A and B for op(A)
// m×k and op(B) k×n.
func operandDims(transA, transB bool, m, n, k int) (ar, ac, br, bc int) {
	ar, ac, br, bc = m, k, k, n
	if transA {
		ar, ac = k, m
	}
	if transB {
		br, bc = n, k
	}
	return ar, ac, br, bc
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// triMode restricts a multiply to the causal triangle, for attention. The
// skipped products are those whose operands are zero (or whose outputs the
// caller discards), so every computed element keeps its fixed summation
// order.
type triMode uint8

const (
	triNone triMode = iota
	// triSkipUpper skips micro-tiles entirely above the diagonal (j > i):
	// those C elements are left unwritten.
	triSkipUpper
	// triKPrefix sums row i only over p < (end of i's strip): op(A) is
	// zero beyond the diagonal.
	triKPrefix
	// triKSuffix sums row i only over p ≥ (start of i's strip). Needs
	// beta 1, since a strip may get no product at all.
	triKSuffix
)

// gemm holds one multiply in progress and its blocking.
type gemm struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int

	kc, nc int // block sizes, functions of the shape only
	mc     int // rows per work item

	// current block, set by the driver before each parallel phase
	jc, ncur, pc, kcur int
	betaCur            float32
	bias               []float32 // added on the first depth block, with beta 0
	tri                triMode
	bp                 []float32
	pre                []float32 // op(B) packed beforehand, every block in loop order
	packing            bool
	itemA              bool // bf16 transposed A is converted by each work item (blockBF16)
	items, colChunks   int
	next               atomic.Int64

	// bf16 multiplies: A converted once per call (abf, apad rows, byte
	// strides abfSI per row and abfSP per depth pair), B packed as pairs.
	bf16         bool
	abf          []uint16
	zeros        []float32 // the pair partner of an odd depth, transposed A
	apad         int
	abfSI, abfSP int
	bp16         []uint32
}

func (g *gemm) set(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	*g = gemm{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, bp: g.bp, abf: g.abf, bp16: g.bp16, zeros: g.zeros}
	g.mc = mcBlk
	if transA {
		g.mc = mcBlkT
	}
	kb := (k + kcMax - 1) / kcMax
	g.kc = (k + kb - 1) / kb
	nb := (n + ncMax - 1) / ncMax
	g.nc = roundUp((n+nb-1)/nb, nr)
}

// clear drops references to the caller's slices.
func (g *gemm) clear() { g.a, g.b, g.c, g.bias, g.pre = nil, nil, nil, nil, nil }

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// parallel runs the blocked loops with the pool: for each B block, pack it
// (panels split among workers), then sweep it with row blocks of A.
func (g *gemm) parallel(p *pool) {
	if g.bf16 {
		g.bp16 = growU32(g.bp16, (g.kc+1)/2*g.nc)
		// Per item only where each item converts its rows once: one column
		// block, and enough row blocks to keep them wide (narrow ones read
		// A latency-bound, and several column blocks convert A again).
		if g.transA && g.tri == triNone && g.n <= g.nc && (g.m+mcBlkT-1)/mcBlkT >= 4*max(p.n, 2) {
			g.convertAPerItem()
		} else {
			g.convertA(p)
		}
	} else if g.pre == nil {
		g.bp = grow(g.bp, g.kc*g.nc)
	}
	off := 0
	if p.n > 1 && (g.m+g.mc-1)/g.mc < 4*p.n {
		// Too few large items to balance the threads: use small ones.
		g.mc = mcBlk
	}
	for jc := 0; jc < g.n; jc += g.nc {
		g.jc, g.ncur = jc, min(g.nc, g.n-jc)
		for pc := 0; pc < g.k; pc += g.kc {
			g.pc, g.kcur = pc, min(g.kc, g.k-pc)
			g.betaCur = 1
			if pc == 0 {
				g.betaCur = g.beta
			}
			panels := (g.ncur + nr - 1) / nr
			if g.pre != nil {
				g.bp = g.pre[off : off+panels*g.kcur*nr]
				off += panels * g.kcur * nr
			} else {
				g.packing = true
				g.next.Store(0)
				if g.ncur*g.kcur >= parallelPackMin {
					p.do(g, panels)
				} else {
					g.run(0, p.scratch[0])
				}
				g.packing = false
			}
			mBlocks := (g.m + g.mc - 1) / g.mc
			g.colChunks = 1
			if mBlocks < 2*p.n {
				// Few rows (small batches, generation): split columns too.
				g.colChunks = min(panels, (2*p.n+mBlocks-1)/mBlocks)
			}
			g.items = mBlocks * g.colChunks
			g.next.Store(0)
			p.do(g, g.items)
		}
	}
}

// serial runs the same blocked loops on one thread with s's buffers.
func (g *gemm) serial(s *scratch) {
	if g.bf16 {
		g.bp16 = growU32(g.bp16, (g.kc+1)/2*g.nc)
		g.convertA(nil)
	} else {
		s.bpack = grow(s.bpack, g.kc*g.nc)
		g.bp = s.bpack
	}
	for jc := 0; jc < g.n; jc += g.nc {
		g.jc, g.ncur = jc, min(g.nc, g.n-jc)
		for pc := 0; pc < g.k; pc += g.kc {
			g.pc, g.kcur = pc, min(g.kc, g.k-pc)
			g.betaCur = 1
			if pc == 0 {
				g.betaCur = g.beta
			}
			panels := (g.ncur + nr - 1) / nr
			for q := range panels {
				g.packB(q)
			}
			for ic := 0; ic < g.m; ic += g.mc {
				g.block(s, ic, min(g.mc, g.m-ic), 0, panels)
			}
		}
	}
	g.bp = nil
}

// run is one worker's share of a parallel phase. Work items are claimed
// dynamically; which worker computes an item never changes its result.
func (g *gemm) run(w int, s *scratch) {
	if g.packing {
		panels := int64((g.ncur + nr - 1) / nr)
		for q := g.next.Add(1) - 1; q < panels; q = g.next.Add(1) - 1 {
			g.packB(int(q))
		}
		return
	}
	panels := (g.ncur + nr - 1) / nr
	for it := int(g.next.Add(1) - 1); it < g.items; it = int(g.next.Add(1) - 1) {
		mb, cb := it/g.colChunks, it%g.colChunks
		q0 := cb * panels / g.colChunks
		q1 := (cb + 1) * panels / g.colChunks
		ic := mb * g.mc
		g.block(s, ic, min(g.mc, g.m-ic), q0, q1)
	}
}

// packB packs panel q (nr columns of op(B), kcur deep) of the current block
// as bp[q*kcur*nr + p*nr + j], zero-padding missing columns.
func (g *gemm) packB(q int) {
	if g.bf16 {
		g.packBBF16(q)
		return
	}
	kcur := g.kcur
	dst := g.bp[q*kcur*nr : (q+1)*kcur*nr]
	j0 := g.jc + q*nr
	w := min(nr, g.n-j0)
	if !g.transB {
		if packBNFast(dst, g.b[g.pc*g.ldb+j0:], g.ldb, kcur, w) {
			return
		}
		for p := range kcur {
			src := g.b[(g.pc+p)*g.ldb+j0:]
			d := dst[p*nr : p*nr+nr]
			copy(d[:w], src[:w])
			clear(d[w:])
		}
		return
	}
	if packBTFast(dst, g.b[j0*g.ldb+g.pc:], g.ldb, kcur, w) {
		return
	}
	if w < nr {
		clear(dst)
	}
	for j := range w {
		src := g.b[(j0+j)*g.ldb+g.pc:][:kcur]
		for p, v := range src {
			dst[p*nr+j] = v
		}
	}
}

// block computes rows [ic, ic+mcur) of C against panels [q0, q1) of the
// packed B block, packing A into s first.
func (g *gemm) block(s *scratch, ic, mcur, q0, q1 int) {
	if g.bf16 {
		g.blockBF16(s, ic, mcur, q0, q1)
		return
	}
	kcur := g.kcur
	mfull := roundUp(mcur, mr)
	if !g.transA {
		g.blockDirect(s, ic, mcur, q0, q1)
		return
	}
	// op(A) columns are rows of A: gather mr-wide strips per depth.
	s.apack = grow(s.apack, mfull*kcur)
	if !packATBlock(s.apack, g.a[g.pc*g.lda+ic:], g.lda, kcur, mcur) {
		for i0 := 0; i0 < mcur; i0 += mr {
			packATGo(s.apack[i0*kcur:(i0+mr)*kcur], g.a[g.pc*g.lda+ic+i0:], g.lda, kcur, min(mr, mcur-i0))
		}
	}
	panelStride := mr * kcur
	for i0 := 0; i0 < mcur; i0 += mr {
		rows := min(mr, mcur-i0)
		lo, hi := g.kRange(ic+i0, ic+i0+rows)
		if lo >= hi {
			continue
		}
		ap := &s.apack[i0/mr*panelStride+lo*mr]
		crow := (ic + i0) * g.ldc
		for q := q0; q < q1; q++ {
			j0 := g.jc + q*nr
			if g.skipTile(ic+i0+rows, j0) {
				continue
			}
			kern(hi-lo, ap, 1, mr, &g.bp[q*kcur*nr+lo*nr], &g.c[crow+j0], g.ldc,
				g.alpha, g.betaCur, rows, min(nr, g.n-j0), g.biasAt(j0))
		}
	}
}

// blockDirect is block for untransposed A: full strips are read in place
// (the kernel takes any row stride; packing them measured slower even for
// strides that alias in L1), only a partial last strip is copied and
// zero-padded.
func (g *gemm) blockDirect(s *scratch, ic, mcur, q0, q1 int) {
	kcur := g.kcur
	for i0 := 0; i0 < mcur; i0 += mr {
		rows := min(mr, mcur-i0)
		lo, hi := g.kRange(ic+i0, ic+i0+rows)
		if lo >= hi {
			continue
		}
		ap, sI := &g.a[(ic+i0)*g.lda+g.pc+lo], g.lda
		if rows < mr {
			kcp := kcur + kcPad
			s.apack = grow(s.apack, mr*kcp)
			for r := range mr {
				d := s.apack[r*kcp : r*kcp+kcur]
				if r < rows {
					copy(d, g.a[(ic+i0+r)*g.lda+g.pc:])
				} else {
					clear(d)
				}
			}
			ap, sI = &s.apack[lo], kcp
		}
		crow := (ic + i0) * g.ldc
		for q := q0; q < q1; q++ {
			j0 := g.jc + q*nr
			if g.skipTile(ic+i0+rows, j0) {
				continue
			}
			kern(hi-lo, ap, sI, 1, &g.bp[q*kcur*nr+lo*nr], &g.c[crow+j0], g.ldc,
				g.alpha, g.betaCur, rows, min(nr, g.n-j0), g.biasAt(j0))
		}
	}
}

// kRange returns the block-local depth range [lo, hi) that rows [r0, r1)
// need under g.tri.
func (g *gemm) kRange(r0, r1 int) (lo, hi int) {
	lo, hi = 0, g.kcur
	switch g.tri {
	case triKPrefix:
		hi = min(hi, r1-g.pc)
	case triKSuffix:
		lo = max(0, r0-g.pc)
	}
	return lo, hi
}

// skipTile reports whether the tile at rows ending r1, columns from j0 is
// skipped.
func (g *gemm) skipTile(r1, j0 int) bool { return g.tri == triSkipUpper && j0 >= r1 }

// biasAt returns the bias for columns from j0 on in the first depth block,
// nil otherwise.
func (g *gemm) biasAt(j0 int) *float32 {
	if g.bias == nil || g.pc != 0 {
		return nil
	}
	return &g.bias[j0]
}

// packATGo packs dst[p*mr+r] = src[p*ld+r] for r < w, zero beyond.
func packATGo(dst, src []float32, ld, kcur, w int) {
	for p := range kcur {
		d := dst[p*mr : p*mr+mr]
		copy(d[:w], src[p*ld:p*ld+w])
		clear(d[w:])
	}
}

// mul performs one multiply on the calling goroutine with s's buffers, for
// kernels that parallelise at a coarser grain (attention heads).
// prec is the arithmetic, as in gemmRun.
func (g *gemm) mul(s *scratch, prec precision, tri triMode, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if tri == triKSuffix && beta != 1 {
		panic("kernel: triKSuffix needs beta 1")
	}
	if prec == precBF16Rounded {
		a, b = s.roundOperands(transA, transB, m, n, k, a, lda, b, ldb)
	}
	g.set(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	g.tri = tri
	if prec == precBF16 {
		g.useBF16()
	}
	g.serial(s)
	g.clear()
}
