package dedup

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

// TestMemoryPerDocument checks that the index holds signatures and band
// keys, not texts: the heap per kept document stays near its signature size
// whether documents are 1 KB or 16 KB long.
func TestMemoryPerDocument(t *testing.T) {
	perDoc := func(words int) float64 {
		r := rand.New(rand.NewPCG(1, uint64(words)))
		const n = 1000
		texts := make([]string, n)
		var b []byte
		for i := range texts {
			b = b[:0]
			for range words {
				b = append(b, 'w')
				b = strconv.AppendInt(b, int64(r.IntN(1<<20)), 36)
				b = append(b, ' ')
			}
			texts[i] = string(b)
		}
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		ix, _ := NewIndex(DefaultConfig())
		var sig Signature
		for _, tx := range texts {
			ix.Sign(tx, &sig)
			ix.AddSignature(&sig)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		runtime.KeepAlive(ix)
		runtime.KeepAlive(texts)
		return float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / n
	}
	small, large := perDoc(120), perDoc(2000)
	fmt.Printf("dedup index memory: %.0f B/doc for ~1 KB documents, %.0f B/doc for ~16 KB documents\n", small, large)
	if large > 2500 || large > 2*small+500 {
		t.Errorf("index memory grows with text length: %.0f vs %.0f bytes per document", large, small)
	}
}
