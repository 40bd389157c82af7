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
		rows += st.Rows + st.Skipped
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(rows)/s, "rows/s")
	b.ReportMetric(float64(fi.Size())*float64(b.N)/s/1e6, "MB/s")
}
