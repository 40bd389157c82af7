package dedup

import (
	"runtime"
	"sync"
)

// SignAll signs texts[i] into sigs[i] (len(sigs) >= len(texts)) on up to
// workers goroutines (0 means GOMAXPROCS). The signatures do not depend on
// workers; feed them to AddSignature in order for deterministic decisions.
func (ix *Index) SignAll(texts []string, sigs []Signature, workers int) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Chunks small enough to balance uneven document lengths.
	const chunk = 16
	if workers == 1 || len(texts) <= chunk {
		for i, t := range texts {
			ix.Sign(t, &sigs[i])
		}
		return
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	for range min(workers, (len(texts)+chunk-1)/chunk) {
		wg.Go(func() {
			for {
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= len(texts) {
					return
				}
				for i := lo; i < min(lo+chunk, len(texts)); i++ {
					ix.Sign(texts[i], &sigs[i])
				}
			}
		})
	}
	wg.Wait()
}
