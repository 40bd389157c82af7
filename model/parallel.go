package model

import (
	"runtime"
	"sync"
)

// parallelFor runs fn over [0, n) split into at most GOMAXPROCS contiguous
// ranges. Callers must make every index's result independent of how the range
// is split, which is what keeps outputs identical for any thread count.
func parallelFor(n int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	w := runtime.GOMAXPROCS(0)
	if w > n {
		w = n
	}
	if w <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(w - 1)
	for i := 1; i < w; i++ {
		lo, hi := i*n/w, (i+1)*n/w
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	fn(0, n/w)
	wg.Wait()
}
