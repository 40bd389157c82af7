package dedup

import (
	"flag"
	"testing"

	"github.com/llmflow/llmflow/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenStats pins the statistics of the labelled quality corpus, so a
// change in tokenisation, hashing or decisions shows up as a diff.
func TestGoldenStats(t *testing.T) {
	c := buildCorpus(t, 7)
	for _, cfg := range []Config{DefaultConfig(), func() Config { c := DefaultConfig(); c.Method = MethodExact; return c }()} {
		ix, _ := NewIndex(cfg)
		ix.AddAll(c.docs, 2, nil)
		testenv.CheckGolden(t, "stats_"+cfg.Method+".json", ix.Stats().Metrics(), *update)
	}
}
