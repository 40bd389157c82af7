package dedup

import (
	"os"
	"path/filepath"
	"strings"
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

// BenchmarkMinHash runs the whole dedup of a corpus (signatures on 1 or 2
// workers, decisions in order) with the default configuration.
func BenchmarkMinHash(b *testing.B) {
	for _, corpus := range []string{"c4", "wiki", "shakespeare", "xiyouji", "c4+char"} {
		cfg := DefaultConfig()
		if name, ok := strings.CutSuffix(corpus, "+char"); ok {
			corpus, cfg.Shingles = name, ShinglesChar
		}
		texts := benchTexts(b, corpus)
		var bytes int64
		for _, t := range texts {
			bytes += int64(len(t))
		}
		for _, workers := range []int{1, 2} {
			b.Run(corpus+"/shingles="+cfg.Shingles+"/workers="+string(rune('0'+workers)), func(b *testing.B) {
				sigs := make([]Signature, len(texts))
				cpu0 := cpuTime()
				for b.Loop() {
					ix, _ := NewIndex(cfg)
					ix.SignAll(texts, sigs, workers)
					for i := range sigs {
						ix.AddSignature(&sigs[i])
					}
				}
				reportRates(b, bytes, int64(len(texts)), cpu0)
			})
		}
	}
}
