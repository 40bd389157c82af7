// Package datasetbench benchmarks a dataset-to-dataset node over the shared
// corpora. It lives apart from testenv because it needs package artifact,
// whose own tests import testenv.
package datasetbench

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/internal/testenv"
)

// Corpora are the shared files a dataset benchmark runs on, relative to the
// shared data directory.
var Corpora = []string{"web-noisy/c4_demo.jsonl", "pretrain-en/wiki_demo.txt", "pretrain-zh/xiyouji.txt"}

// RunFunc processes in into out with the given number of workers.
type RunFunc func(ctx context.Context, in *artifact.Dataset, out *artifact.DatasetWriter, workers int) error

// Run benchmarks run on every corpus with 1 and 2 workers, reporting MB/s,
// docs/s and MB per CPU-second. Each iteration writes a fresh output dataset
// with the input's schema.
func Run(b *testing.B, run RunFunc) {
	for _, rel := range Corpora {
		in, bytes := ingest(b, rel)
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", filepath.Base(rel), workers), func(b *testing.B) {
				tmp := b.TempDir()
				k := 0
				cpu0 := testenv.CPUTime()
				for b.Loop() {
					k++
					out, err := artifact.NewDatasetWriter(filepath.Join(tmp, fmt.Sprint(k)), in.Schema())
					if err != nil {
						b.Fatal(err)
					}
					if err := run(context.Background(), in, out, workers); err != nil {
						b.Fatal(err)
					}
					if err := out.Close(); err != nil {
						b.Fatal(err)
					}
				}
				testenv.ReportRates(b, bytes, in.Rows(), cpu0)
			})
		}
	}
}

// ingest turns a shared-data file into a text dataset under b.TempDir.
func ingest(b *testing.B, rel string) (*artifact.Dataset, int64) {
	src := filepath.Join(testenv.SharedData(b), rel)
	dir := filepath.Join(b.TempDir(), "in")
	st, err := artifact.Ingest(context.Background(), []string{src}, dir, artifact.IngestOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		b.Fatal(err)
	}
	return ds, st.InputBytes
}
