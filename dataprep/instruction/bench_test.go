package instruction

import (
	"context"
	"os"
	"testing"

	"github.com/llmflow/llmflow/internal/testenv"
)

// BenchmarkIngestGSM8K maps the GSM8K training set (question/answer).
func BenchmarkIngestGSM8K(b *testing.B) {
	path := testenv.SharedFile(b, "sft/gsm8k_train.jsonl")
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	var rows int64
	for b.Loop() {
		st, err := Ingest(context.Background(), []string{path}, b.TempDir(), cfg(ShapeQA))
		if err != nil {
			b.Fatal(err)
		}
		rows += st.Rows
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(rows)/s, "rows/s")
	b.ReportMetric(float64(fi.Size())*float64(b.N)/s/1e6, "MB/s")
}
