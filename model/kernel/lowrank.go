package kernel

import "sync"

// Low-rank products, the multiplies of a LoRA update of rank r (8 by
// default): each streams a tall matrix of N rows once while r rows of the
// small factor stay in cache. The general GEMM serves them badly: it packs
// the tall operand as its B matrix, or wastes most of a 12×32 tile on r
// columns. Here groups of eight rows of the small factor go to AVX-512
// kernels (asmgen/lowrank.py), other rows to Dot and Axpy; every output
// element is summed in an order fixed by the shapes, and threads split rows
// (columns for LowRankGrad, whose sums run over rows), so results do not
// depend on the thread count.

//go:generate python3 asmgen/lowrank.py

// lowRankGrain is the rows (columns for LowRankGrad) per work item: enough
// to outweigh waking a worker, small enough to balance two threads.
const lowRankGrain = 64

// LowRankDown sets h[n*r+j] = alpha · Σ_i x[n*d+i]·w[j*d+i] for n < N and
// j < r: h [N, r] = alpha · x [N, d] · wᵀ, with w [r, d].
func LowRankDown(h, x, w []float32, N, d, r int, alpha float32) {
	lowRankRun(lowRankOp{kind: lrDown, out: h[:N*r], x: x[:N*d], w: w[:r*d], n: N, d: d, r: r, alpha: alpha}, N)
}

// LowRankUp adds h [N, r] · u [r, d] to y [N, d]: y[n, :] += Σ_j h[n*r+j]·u[j, :],
// j in increasing order.
func LowRankUp(y, h, u []float32, N, d, r int) {
	lowRankRun(lowRankOp{kind: lrUp, out: y[:N*d], x: h[:N*r], w: u[:r*d], n: N, d: d, r: r}, N)
}

// LowRankGrad adds hᵀ [r, N] · x [N, d] to g [r, d]: g[j, :] += Σ_n h[n*r+j]·x[n, :],
// n in increasing order.
func LowRankGrad(g, h, x []float32, N, d, r int) {
	lowRankRun(lowRankOp{kind: lrGrad, out: g[:r*d], x: x[:N*d], w: h[:N*r], n: N, d: d, r: r}, d)
}

func lowRankRun(o lowRankOp, items int) {
	if o.n == 0 || o.d == 0 || o.r == 0 {
		return
	}
	p := acquire()
	defer p.release()
	// The op lives outside the pool (a pool replaced by SetThreads may still
	// finish a call), so it has its own lock.
	lowRankState.Lock()
	defer lowRankState.Unlock()
	op := &lowRankState.op
	*op = o
	grain := lowRankGrain
	if o.kind == lrGrad {
		// One range of columns per thread, whole chunks of 16: the split
		// changes no sum, which runs over rows.
		grain = (items + 16*p.n - 1) / (16 * p.n) * 16
	}
	p.parallelRange(op, items, grain)
	*op = lowRankOp{}
}

// lowRankState holds the running op, so that a call does not allocate.
var lowRankState struct {
	sync.Mutex
	op lowRankOp
}

type lowRankKind uint8

const (
	lrDown lowRankKind = iota
	lrUp
	lrGrad
)

// lowRankOp is one low-rank product: out, the tall operand x and the small
// one w as each function names them (for lrGrad, w holds h).
type lowRankOp struct {
	kind    lowRankKind
	out, x  []float32
	w       []float32
	n, d, r int
	alpha   float32
}

func (o *lowRankOp) rangeRun(lo, hi int, _ *scratch) {
	d, r := o.d, o.r
	// Groups of eight rows of the small factor go to the AVX-512 kernels
	// where there are any, the rest one row at a time.
	j8 := 0
	if lowRank8 {
		j8 = r / 8 * 8
	}
	switch o.kind {
	case lrDown:
		n := lo
		// Three rows at a time share the loads of w.
		for ; j8 > 0 && n+3 <= hi; n += 3 {
			for j := 0; j < j8; j += 8 {
				lowRankDown8x3(o.x[n*d:], o.w[j*d:], o.out[n*r+j:], d, r, o.alpha)
			}
			for q := n; q < n+3; q++ {
				for j := j8; j < r; j++ {
					o.out[q*r+j] = o.alpha * dot(o.x[q*d:q*d+d], o.w[j*d:j*d+d])
				}
			}
		}
		for ; n < hi; n++ {
			row := o.x[n*d : n*d+d]
			h := o.out[n*r : n*r+r]
			for j := 0; j < j8; j += 8 {
				lowRankDown8(row, o.w[j*d:], h[j:], d, o.alpha)
			}
			for j := j8; j < r; j++ {
				h[j] = o.alpha * dot(row, o.w[j*d:j*d+d])
			}
		}
	case lrUp:
		n := lo
		// Three rows at a time share the loads of u; every element still
		// adds its r terms in order.
		for ; j8 > 0 && n+3 <= hi; n += 3 {
			for j := 0; j < j8; j += 8 {
				lowRankUp8x3(o.out[n*d:], o.x[n*r+j:], o.w[j*d:], d, r)
			}
			for q := n; q < n+3; q++ {
				for j := j8; j < r; j++ {
					axpy(o.x[q*r+j], o.w[j*d:j*d+d], o.out[q*d:q*d+d])
				}
			}
		}
		for ; n < hi; n++ {
			y := o.out[n*d : n*d+d]
			h := o.x[n*r : n*r+r]
			for j := 0; j < j8; j += 8 {
				lowRankUp8(y, h[j:], o.w[j*d:], d)
			}
			for j := j8; j < r; j++ {
				axpy(h[j], o.w[j*d:j*d+d], y)
			}
		}
	case lrGrad:
		// Blocks of rows, so that the kernel reads x in a few sequential
		// streams while the sums of a chunk of columns stay in registers.
		const rowBlock = 16
		for n0 := 0; n0 < o.n; n0 += rowBlock {
			rows := min(rowBlock, o.n-n0)
			for j := 0; j < j8; j += 8 {
				lowRankGrad8(o.out[j*d+lo:], o.w[n0*r+j:], o.x[n0*d+lo:], rows, hi-lo, d, r)
			}
		}
		for n := range o.n {
			x := o.x[n*d+lo : n*d+hi]
			for j := j8; j < r; j++ {
				axpy(o.w[n*r+j], x, o.out[j*d+lo:j*d+hi])
			}
		}
	}
}
