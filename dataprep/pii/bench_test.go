package pii

import (
	"sync"
	"testing"

	"github.com/llmflow/llmflow/internal/testenv"
)

// BenchmarkScrub scrubs a corpus with every entity on, split over 1 or 2
// goroutines.
func BenchmarkScrub(b *testing.B) {
	p, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	for _, corpus := range []string{"c4", "wiki", "shakespeare", "xiyouji"} {
		texts := testenv.CorpusTexts(b, corpus)
		var bytes int64
		for _, t := range texts {
			bytes += int64(len(t))
		}
		for _, workers := range []int{1, 2} {
			b.Run(corpus+"/workers="+string(rune('0'+workers)), func(b *testing.B) {
				cpu0 := testenv.CPUTime()
				for b.Loop() {
					var wg sync.WaitGroup
					for w := range workers {
						wg.Go(func() {
							for i := w; i < len(texts); i += workers {
								p.Scrub(texts[i])
							}
						})
					}
					wg.Wait()
				}
				testenv.ReportRates(b, bytes, int64(len(texts)), cpu0)
			})
		}
	}
}
