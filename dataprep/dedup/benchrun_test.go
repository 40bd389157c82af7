package dedup

import (
	"context"
	"testing"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/internal/testenv/datasetbench"
)

// BenchmarkRun is the dataset-level dedup: Arrow in, signatures on 1 or 2
// workers, ordered decisions, Arrow out.
func BenchmarkRun(b *testing.B) {
	datasetbench.Run(b, func(ctx context.Context, in *artifact.Dataset, out *artifact.DatasetWriter, workers int) error {
		cfg := DefaultConfig()
		cfg.Workers = workers
		_, err := Run(ctx, in, out, cfg, nil)
		return err
	})
}
