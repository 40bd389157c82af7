package dedup

import (
	"strings"
	"testing"

	"github.com/llmflow/llmflow/internal/testenv"
)

// BenchmarkMinHash runs the whole dedup of a corpus (signatures on 1 or 2
// workers, decisions in order) with the default configuration.
func BenchmarkMinHash(b *testing.B) {
	for _, corpus := range []string{"c4", "wiki", "shakespeare", "xiyouji", "c4+char"} {
		cfg := DefaultConfig()
		if name, ok := strings.CutSuffix(corpus, "+char"); ok {
			corpus, cfg.Shingles = name, ShinglesChar
		}
		texts := testenv.CorpusTexts(b, corpus)
		var bytes int64
		for _, t := range texts {
			bytes += int64(len(t))
		}
		for _, workers := range []int{1, 2} {
			b.Run(corpus+"/shingles="+cfg.Shingles+"/workers="+string(rune('0'+workers)), func(b *testing.B) {
				sigs := make([]Signature, len(texts))
				cpu0 := testenv.CPUTime()
				for b.Loop() {
					ix, _ := NewIndex(cfg)
					ix.SignAll(texts, sigs, workers)
					for i := range sigs {
						ix.AddSignature(&sigs[i])
					}
				}
				testenv.ReportRates(b, bytes, int64(len(texts)), cpu0)
			})
		}
	}
}
