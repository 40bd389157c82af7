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
}

// atomicCounter hands out consecutive work item numbers.
type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) Store(v int64) { c.n.Store(v) }
func (c *atomicCounter) claim() int    { return int(c.n.Add(1) - 1) }
