package pii

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func benchTexts(b *testing.B, name string) []string {
	data := sharedData(b)
	switch name {
	case "c4":
		return readJSONLText(b, filepath.Join(data, "web-noisy", "c4_demo.jsonl"))
	case "wiki":
		raw, err := os.ReadFile(filepath.Join(data, "pretrain-en", "wiki_demo.txt"))
		if err != nil {
			b.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(string(raw)), "\n")
	case "shakespeare":
		return chunkLines(b, filepath.Join(data, "pretrain-en", "tinyshakespeare.txt"), 2000)
	default:
		return chunkLines(b, filepath.Join(data, "pretrain-zh", "xiyouji.txt"), 1000)
	}
}

// BenchmarkScrub scrubs a corpus with every entity on, split over 1 or 2
// goroutines.
func BenchmarkScrub(b *testing.B) {
	p, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	for _, corpus := range []string{"c4", "wiki", "shakespeare", "xiyouji"} {
		texts := benchTexts(b, corpus)
		var bytes int64
		for _, t := range texts {
			bytes += int64(len(t))
		}
		for _, workers := range []int{1, 2} {
			b.Run(corpus+"/workers="+string(rune('0'+workers)), func(b *testing.B) {
				cpu0 := cpuTime()
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
				reportRates(b, bytes, int64(len(texts)), cpu0)
			})
		}
	}
}
