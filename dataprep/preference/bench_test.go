package preference

import (
	"context"
	"os"
	"testing"

	"github.com/llmflow/llmflow/internal/testenv"
)

// BenchmarkIngestHH maps the shared Anthropic HH file (bad rows skipped)
// with a 20% held-out split.
func BenchmarkIngestHH(b *testing.B) {
	path := testenv.SharedFile(b, "preference/hh_rlhf_harmless_base_test.jsonl")
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	c := shape(ShapeHH, func(c *Config) { c.OnError = "skip"; c.ValFraction = 0.2 })
	var rows int64
	cpu0 := testenv.CPUTime()
	for b.Loop() {
		dir := b.TempDir()
		train, err := NewWriter(dir + "/train")
		if err != nil {
			b.Fatal(err)
		}
		val, err := NewWriter(dir + "/val")
		if err != nil {
			b.Fatal(err)
		}
		st, err := Ingest(context.Background(), []string{path}, train, val, c, 1)
		if err != nil {
			b.Fatal(err)
		}
		if err := train.Close(); err != nil {
			b.Fatal(err)
		}
		if err := val.Close(); err != nil {
			b.Fatal(err)
		}
		rows = st.Rows + st.Skipped
	}
	// docs/s counts the file's rows, kept or skipped.
	testenv.ReportRates(b, fi.Size(), rows, cpu0)
}
