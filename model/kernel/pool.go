package kernel

import (
	"runtime"
	"sync"
)

// task is one parallel region. run is called once per participating worker
// with that worker's index and scratch space.
type task interface {
	run(w int, s *scratch)
}

// pool is a small persistent set of worker goroutines. Spawning goroutines
// per call costs a few microseconds per matmul; parked workers woken by a
// channel send cost less and keep their scratch buffers warm.
type pool struct {
	mu      sync.Mutex // serialises users of the pool
	n       int
	wake    []chan task
	done    chan struct{}
	scratch []*scratch

	// per-call state of each kernel family, reused to avoid allocation
	gemm gemm
	attn attnTask
	rng  rangeTask
	ops  opState

	// bf16 multiplies: the rounded operands of the fp32 path.
	roundA, roundB []float32
}

var (
	poolMu  sync.Mutex
	current *pool
)

// SetThreads sets the number of threads the kernels use (n < 1 means
// runtime.GOMAXPROCS(0)). Results do not depend on it. It waits for running
// kernels to finish.
func SetThreads(n int) {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	poolMu.Lock()
	old := current
	if old != nil && old.n == n {
		poolMu.Unlock()
		return
	}
	current = newPool(n)
	poolMu.Unlock()
	if old != nil {
		old.stop() // outside poolMu: acquire takes p.mu before poolMu
	}
}

// Threads reports the number of threads the kernels use.
func Threads() int {
	return getPool().n
}

func getPool() *pool {
	poolMu.Lock()
	defer poolMu.Unlock()
	if current == nil {
		current = newPool(runtime.GOMAXPROCS(0))
	}
	return current
}

func newPool(n int) *pool {
	p := &pool{n: n, wake: make([]chan task, n), done: make(chan struct{}, n), scratch: make([]*scratch, n)}
	for w := range n {
		p.scratch[w] = new(scratch)
		if w > 0 {
			p.wake[w] = make(chan task, 1)
			go p.worker(w)
		}
	}
	return p
}

func (p *pool) worker(w int) {
	for t := range p.wake[w] {
		t.run(w, p.scratch[w])
		p.done <- struct{}{}
	}
}

func (p *pool) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for w := 1; w < p.n; w++ {
		close(p.wake[w])
	}
}

// acquire locks the current pool for one kernel call.
func acquire() *pool {
	for {
		p := getPool()
		p.mu.Lock()
		poolMu.Lock()
		ok := p == current
		poolMu.Unlock()
		if ok {
			return p
		}
		p.mu.Unlock() // replaced by SetThreads meanwhile
	}
}

func (p *pool) release() { p.mu.Unlock() }

// do runs t on min(n, p.n) workers, the caller being worker 0, and returns
// when all have finished. The caller must hold p.mu.
func (p *pool) do(t task, n int) {
	n = min(n, p.n)
	for w := 1; w < n; w++ {
		p.wake[w] <- t
	}
	t.run(0, p.scratch[0])
	for w := 1; w < n; w++ {
		<-p.done
	}
}

// scratch is per-worker memory reused across calls, so the hot path does not
// allocate once buffers have grown to the largest shape seen.
type scratch struct {
	apack []float32
	bpack []float32 // used by the serial gemm inside attention
	dp    []float32 // attention score gradients, T×T
	g     gemm      // serial multiplies inside attention
	// operands of serial multiplies rounded to bf16 (GemmBF16's fp32 path)
	roundA, roundB []float32
}

func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return Zeros(n)
	}
	return buf[:n]
}
