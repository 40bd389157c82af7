package mix

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/artifact"
)

// BenchmarkRun mixes three sources of 100,000 short rows (batches as
// writers make them) by weights, all rows used ("continue"): the cost of
// picking, copying and writing a row.
func BenchmarkRun(b *testing.B) {
	tmp := b.TempDir()
	var sources []Source
	var schemas []*arrow.Schema
	for _, name := range []string{"a", "b", "c"} {
		ds := writeSourceBatches(b, filepath.Join(tmp, name), name, 100000, artifact.DefaultBatchRows, 1<<20, "n")
		sources = append(sources, Source{Name: fmt.Sprint("dataset.", name), Data: ds})
		schemas = append(schemas, ds.Schema())
	}
	cfg := Config{Weights: []float64{5, 3, 2}, OnExhausted: OnExhaustedContinue}
	k := 0
	for b.Loop() {
		k++
		w, err := artifact.NewDatasetWriter(filepath.Join(tmp, fmt.Sprint("out", k)), OutputSchema(schemas))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Run(context.Background(), sources, w, cfg, 1, nopReporter{}); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(300000/sec, "rows/s")
}
