package kernel

import (
	"sync"
	"testing"
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
