package model

import "github.com/llmflow/llmflow/model/kernel"

// parallelFor runs fn over [0, n) split into chunks on the kernel threads.
// Callers must make every index's result independent of how the range is
// split, which is what keeps outputs identical for any thread count. The
// closure allocates: hot paths use kernel.ParallelFor with a kept Ranger.
func parallelFor(n int, fn func(lo, hi int)) {
	kernel.ParallelFor(funcRanger(fn), n, chunk(n))
}

// chunk splits n items into about four chunks per thread.
func chunk(n int) int { return max(1, n/(4*kernel.Threads())) }

type funcRanger func(lo, hi int)

func (f funcRanger) Range(lo, hi int) { f(lo, hi) }
