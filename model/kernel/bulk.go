package kernel

// Whole-buffer passes over the parameters and gradients (zeroing, the
// gradient norm, clipping), split among the threads: on one thread each is
// a serial pass over tens of megabytes inside every training step.

// bulkGrain is the elements per work item of Clear and ScaleAll.
const bulkGrain = 1 << 16

// Clear sets x to zero, split among the threads.
func Clear(x []float32) { bulk(bulkOp{kind: bulkClear, x: x}, len(x), bulkGrain) }

// ScaleAll computes x *= a like Scale, split among the threads.
func ScaleAll(a float32, x []float32) { bulk(bulkOp{kind: bulkScale, a: a, x: x}, len(x), bulkGrain) }

// SumSquaresChunks sets dst[i] = Dot(c, c) for the i-th chunk c of x, chunks
// of chunk elements (the last may be shorter). Threads take whole chunks,
// each summed as Dot sums it, so results do not depend on the thread count.
func SumSquaresChunks(dst, x []float32, chunk int) {
	n := (len(x) + chunk - 1) / chunk
	_ = dst[:n]
	bulk(bulkOp{kind: bulkSumSq, x: x, dst: dst, chunk: chunk}, n, max(1, bulkGrain/chunk))
}

const (
	bulkClear = iota
	bulkScale
	bulkSumSq
)

type bulkOp struct {
	kind   int
	a      float32
	x, dst []float32
	chunk  int
}

func bulk(o bulkOp, n, grain int) {
	if n == 0 {
		return
	}
	p := acquire()
	defer p.release()
	op := &p.ops.bulk
	*op = o
	p.parallelRange(op, n, grain)
	*op = bulkOp{}
}

func (o *bulkOp) rangeRun(lo, hi int, _ *scratch) {
	switch o.kind {
	case bulkClear:
		clear(o.x[lo:hi])
	case bulkScale:
		scale(o.a, o.x[lo:hi])
	case bulkSumSq:
		for i := lo; i < hi; i++ {
			c := o.x[i*o.chunk : min((i+1)*o.chunk, len(o.x))]
			o.dst[i] = Dot(c, c)
		}
	}
}
