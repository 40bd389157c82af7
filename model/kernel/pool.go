package kernel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// task is one parallel region. run is called once per participating worker
// with that worker's index and scratch space.
type task interface {
	run(w int, s *scratch)
}

// pool is a small persistent set of worker goroutines. Spawning goroutines
// per call costs a few microseconds per matmul; parked workers woken by a
// channel send cost less and keep their scratch buffers warm.
//
// A training step hands the workers about 800 tasks, each a few hundred
// microseconds long, so the hand-over itself must be cheap: waking a parked
// goroutine takes tens of microseconds on a virtual machine. Workers and
// the caller therefore spin on an atomic for a short while before parking,
// as OpenMP runtimes do between parallel regions.
type pool struct {
	mu      sync.Mutex // serialises users of the pool
	n       int
	slots   []workerSlot
	scratch []*scratch

	cur     task // the task being handed out; nil tells workers to stop
	pending atomic.Int32
	caller  parker

	// per-call state of each kernel family, reused to avoid allocation
	gemm gemm
	attn attnTask
	rng  rangeTask
	ops  opState

	// bf16 multiplies: the rounded operands of the fp32 path.
	roundA, roundB []float32
	// Partial sums per row block: LayerNormBackward's parameter
	// gradients, ColSum's column sums.
	partials []float32
}

// workerSlot is one worker's hand-over state, a cache line of its own.
type workerSlot struct {
	gen atomic.Uint32 // bumped for every task handed to this worker
	parker
	_ [40]byte
}

// parker lets a goroutine that has spun long enough sleep on a channel
// without missing the signal it waits for.
type parker struct {
	parked atomic.Bool
	wake   chan struct{}
}

// spinLimit bounds the polls before parking, about 0.2–0.4 ms: longer than
// the gaps between kernels in a step, short enough that an idle pool
// sleeps soon. A parked thread's processor may go idle, and on a virtual
// machine waking it took hundreds of µs: at 16K polls a config M step
// parked 100–200 times and lost 6–20 ms to wake-ups.
const spinLimit = 1 << 17

// await returns once ready reports true: it spins up to spinLimit polls
// (none when spin is false), then parks until signal is called. A wake-up
// is only a hint: a signaller descheduled between making its condition true
// and signalling may wake a later wait, so ready is checked again.
func (k *parker) await(ready func() bool, spin bool) {
	if spin {
		for range spinLimit {
			if ready() {
				return
			}
		}
	}
	for {
		k.parked.Store(true)
		if ready() {
			if !k.parked.CompareAndSwap(true, false) {
				<-k.wake // a signaller cleared parked and is sending; take its token
			}
			return
		}
		<-k.wake // signal cleared parked and sends exactly once
		if ready() {
			return
		}
	}
}

// signal wakes the goroutine if it parked; call it after making ready true.
func (k *parker) signal() {
	if k.parked.Load() && k.parked.CompareAndSwap(true, false) {
		k.wake <- struct{}{}
	}
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
	p := &pool{n: n, slots: make([]workerSlot, n), scratch: make([]*scratch, n)}
	p.caller.wake = make(chan struct{}, 1)
	for w := range n {
		p.scratch[w] = new(scratch)
		if w > 0 {
			p.slots[w].wake = make(chan struct{}, 1)
			go p.worker(w)
		}
	}
	return p
}

func (p *pool) worker(w int) {
	sl := &p.slots[w]
	seen := uint32(0)
	for {
		sl.await(func() bool { return sl.gen.Load() != seen }, p.spinning())
		seen = sl.gen.Load()
		t := p.cur
		if t == nil {
			return
		}
		t.run(w, p.scratch[w])
		if p.pending.Add(-1) == 0 {
			p.caller.signal()
		}
	}
}

// spinning reports whether waiting goroutines may spin: only when every
// thread of the pool can hold a processor, or a spinner would keep the
// goroutine it waits for from running.
func (p *pool) spinning() bool { return runtime.GOMAXPROCS(0) >= p.n }

// handOut gives t to workers 1..n-1.
func (p *pool) handOut(t task, n int) {
	p.cur = t
	p.pending.Store(int32(n - 1))
	for w := 1; w < n; w++ {
		p.slots[w].gen.Add(1)
		p.slots[w].signal()
	}
}

func (p *pool) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handOut(nil, p.n)
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
	if n > 1 {
		p.handOut(t, n)
	}
	t.run(0, p.scratch[0])
	if n > 1 {
		p.caller.await(func() bool { return p.pending.Load() == 0 }, p.spinning())
	}
}

// scratch is per-worker memory reused across calls, so the hot path does not
// allocate once buffers have grown to the largest shape seen.
type scratch struct {
	apack []float32
	bpack []float32 // used by the serial gemm inside attention
	// transposed A of a bf16 multiply, converted by a work item
	apack16 []uint32
	dp      []float32 // attention score gradients, T×T
	docs    []int32   // first positions of a row's documents (attention)
	g       gemm      // serial multiplies inside attention
	// operands of serial multiplies rounded to bf16 (GemmBF16's fp32 path)
	roundA, roundB []float32
}

func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return Zeros(n)
	}
	return buf[:n]
}
