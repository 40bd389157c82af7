package kernel

import "sync/atomic"

// rangeOp processes items [lo, hi) of an elementwise or row-wise kernel.
// Items are independent, so any split gives the same result.
type rangeOp interface {
	rangeRun(lo, hi int, s *scratch)
}

// rangeTask hands out chunks of grain items to the workers.
type rangeTask struct {
	op       rangeOp
	n, grain int
	next     atomic.Int64
}

func (t *rangeTask) run(w int, s *scratch) {
	for {
		lo := int(t.next.Add(int64(t.grain)) - int64(t.grain))
		if lo >= t.n {
			return
		}
		t.op.rangeRun(lo, min(lo+t.grain, t.n), s)
	}
}

// parallelRange runs op over n items in chunks of grain on the pool, whose
// lock the caller holds.
func (p *pool) parallelRange(op rangeOp, n, grain int) {
	if n <= 0 {
		return
	}
	t := &p.rng
	t.op, t.n, t.grain = op, n, max(grain, 1)
	t.next.Store(0)
	p.do(t, (n+t.grain-1)/t.grain)
	t.op = nil
}

// opState holds the arguments of each elementwise kernel family, kept in the
// pool so that a call does not allocate.
type opState struct {
	colSum colSumOp
	gelu   geluOp
	ln     layerNormOp
	ce     crossEntropyOp
	adam   adamOp
	cvtA   cvtAOp
	round  roundOp
	bulk   bulkOp
	fn     rangerOp
}

// atomicCounter hands out consecutive work item numbers.
type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) Store(v int64) { c.n.Store(v) }
func (c *atomicCounter) claim() int    { return int(c.n.Add(1) - 1) }

// A Ranger processes items [lo, hi) of work outside the kernels.
type Ranger interface{ Range(lo, hi int) }

// ParallelFor runs r over [0, n) in chunks of grain on the kernel threads,
// for work outside the kernels (an embedding lookup) that should neither
// leave a thread idle nor let it sleep between kernels. Chunks may run in
// any order and on any thread, so r must give each index a result that does
// not depend on the split. A pointer r kept by the caller does not allocate.
// r runs while the kernel threads are held: it must not call a kernel that
// takes them (the element helpers such as Axpy and Dot do not).
func ParallelFor(r Ranger, n, grain int) {
	if n <= 0 {
		return
	}
	p := acquire()
	defer p.release()
	o := &p.ops.fn
	o.r = r
	p.parallelRange(o, n, grain)
	o.r = nil
}

type rangerOp struct{ r Ranger }

func (o *rangerOp) rangeRun(lo, hi int, _ *scratch) { o.r.Range(lo, hi) }
