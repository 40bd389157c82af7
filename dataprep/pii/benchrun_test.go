package pii

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/internal/testenv"
)

// ingestBench turns a shared-data file into a text dataset under b.TempDir.
func ingestBench(b *testing.B, rel string) (*artifact.Dataset, int64) {
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

// BenchmarkRun is the dataset-level scrub: Arrow in, rows on 1 or 2
// workers through package stream, Arrow out.
func BenchmarkRun(b *testing.B) {
	for _, rel := range []string{"web-noisy/c4_demo.jsonl", "pretrain-en/wiki_demo.txt", "pretrain-zh/xiyouji.txt"} {
		in, bytes := ingestBench(b, rel)
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", filepath.Base(rel), workers), func(b *testing.B) {
				cfg := DefaultConfig()
				cfg.Workers = workers
				tmp := b.TempDir()
				k := 0
				cpu0 := testenv.CPUTime()
				for b.Loop() {
					k++
					out, err := artifact.NewDatasetWriter(filepath.Join(tmp, fmt.Sprint(k)), in.Schema())
					if err != nil {
						b.Fatal(err)
					}
					if _, err := Run(context.Background(), in, out, cfg, nil); err != nil {
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
