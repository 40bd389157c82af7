package kernel

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type nopTask struct{}

func (nopTask) run(int, *scratch) {}

// BenchmarkDispatch compares waking the persistent workers with spawning a
// goroutine per call, the alternative the pool replaces.
func BenchmarkDispatch(b *testing.B) {
	b.Run("pool", func(b *testing.B) {
		SetThreads(2)
		defer SetThreads(0)
		p := acquire()
		defer p.release()
		var t nopTask
		for range b.N {
			p.do(t, 2)
		}
	})
	b.Run("spawn", func(b *testing.B) {
		var s scratch
		for range b.N {
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { nopTask{}.run(1, &s); wg.Done() }()
			nopTask{}.run(0, &s)
			wg.Wait()
		}
	})
}

// countTask records how often each worker ran it in the current round.
type countTask struct {
	runs  []atomic.Int32
	spins int
}

func (t *countTask) run(w int, _ *scratch) {
	t.runs[w].Add(1)
	for i := range t.spins {
		if i%64 == 0 {
			runtime.Gosched()
		}
	}
}

// TestPoolHandOverUnderPreemption hands out many short tasks while other
// goroutines compete for the processors, so callers and workers are
// descheduled between publishing work and signalling it. Every worker must
// run each task exactly once and every call must return: a wake-up that
// arrives after its waiter has moved on must not count for the next task.
func TestPoolHandOverUnderPreemption(t *testing.T) {
	for _, c := range []struct {
		name          string
		procs, thread int
	}{
		{"spinning", 2, 2},
		{"parking", 1, 3},
		{"oversubscribed", 2, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.procs))
			SetThreads(c.thread)
			defer SetThreads(0)

			stop := make(chan struct{})
			var busy sync.WaitGroup
			for range 3 {
				busy.Add(1)
				go func() {
					defer busy.Done()
					for {
						select {
						case <-stop:
							return
						default:
							runtime.Gosched()
						}
					}
				}()
			}
			defer func() { close(stop); busy.Wait() }()

			done := make(chan string, 1)
			go func() {
				p := acquire()
				defer p.release()
				task := &countTask{runs: make([]atomic.Int32, c.thread)}
				deadline := time.Now().Add(2 * time.Second)
				for round := 0; time.Now().Before(deadline); round++ {
					task.spins = round % 300
					for w := range task.runs {
						task.runs[w].Store(0)
					}
					p.do(task, c.thread)
					for w := range task.runs {
						if n := task.runs[w].Load(); n != 1 {
							done <- fmt.Sprintf("round %d: worker %d ran the task %d times", round, w, n)
							return
						}
					}
				}
				done <- ""
			}()
			select {
			case msg := <-done:
				if msg != "" {
					t.Fatal(msg)
				}
			case <-time.After(20 * time.Second):
				// The pool's lock is held by the stuck call, so no cleanup can run.
				panic("a pool call did not return within 20 s: a worker or the caller missed its wake-up")
			}
		})
	}
}
