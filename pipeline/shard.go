package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/artifact"
)

// A node with `shards = N` runs as N tasks over consecutive record batches
// of its input, each writing its part of every output batch for batch,
// and a merge that writes the parts in order through one dataset writer.
// The writer then sees the batches a whole run gives it, so the outputs
// are byte-identical for any N and any executor.

// runShardsHere runs a sharded node's tasks as goroutines of the host,
// then merges them.
func (r *run) runShardsHere(ctx context.Context, n *prepared, nr *NodeRun) (map[string]string, error) {
	dir := r.e.Store.WorkDir(nr.Key) // held under the node's lock
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tasks := n.Meta.Shards
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errs := make([]error, tasks)
	var wg sync.WaitGroup
	for i := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = n.bt.RunShard(ctx, nr, dir, i, tasks); errs[i] != nil {
				errs[i] = fmt.Errorf("shard %d of %d: %w", i, tasks, errs[i])
				cancel(errs[i])
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return n.bt.Merge(ctx, nr, dir, tasks)
}

// datasetPart is the record batches [from, to) of a dataset, what one task
// of a sharded node reads. It satisfies the dataprep libraries' inputs.
type datasetPart struct {
	*artifact.Dataset
	from, to int
	rows     int64 // estimated from the batch share, for progress
}

// Scan calls fn with the part's batches in order.
func (p *datasetPart) Scan(ctx context.Context, fn func(rec arrow.RecordBatch) error) error {
	return p.ScanBatches(ctx, p.from, p.to, fn)
}

// Rows estimates the part's rows.
func (p *datasetPart) Rows() int64 { return p.rows }

// inputPart returns task's share of the batches of input name.
func (r *NodeRun) inputPart(name string, task, tasks int) (*datasetPart, error) {
	in, err := r.inputDataset(name)
	if err != nil {
		return nil, err
	}
	n, err := in.NumBatches()
	if err != nil {
		return nil, fmt.Errorf("input %q: %w", name, err)
	}
	p := &datasetPart{Dataset: in, from: task * n / tasks, to: (task + 1) * n / tasks}
	if n > 0 {
		p.rows = in.Rows() * int64(p.to-p.from) / int64(n)
	}
	return p, nil
}

// partWriter writes task's part of output into the shard directory. One
// file holds the part, so no batch is split before the merge.
func partWriter(dir, output string, task int, schema *arrow.Schema) (*artifact.DatasetWriter, error) {
	return artifact.NewDatasetWriter(partDir(dir, output, task), schema, artifact.WithShardRows(math.MaxInt64))
}

func partDir(dir, output string, task int) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%05d", output, task))
}

// mergeParts writes the tasks' parts of output, in task order, to w.
func mergeParts(ctx context.Context, dir, output string, tasks int, w *artifact.DatasetWriter) error {
	for i := range tasks {
		part, err := artifact.OpenDataset(partDir(dir, output, i))
		if err != nil {
			return fmt.Errorf("part %d of %s: %w", i, output, err)
		}
		if err := part.Scan(ctx, w.Write); err != nil {
			return fmt.Errorf("part %d of %s: %w", i, output, err)
		}
	}
	return nil
}

// saveShardStats and loadShardStats keep each task's counters for the
// merge, which reports their sum.
func saveShardStats(dir string, task int, st any) error {
	return writeJSONFile(filepath.Join(dir, fmt.Sprintf("stats-%05d.json", task)), st, 0o644)
}

func loadShardStats[S any](dir string, tasks int, add func(S)) error {
	for i := range tasks {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("stats-%05d.json", i)))
		if err != nil {
			return fmt.Errorf("shard %d left no counters: %w", i, err)
		}
		var st S
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("shard %d counters: %w", i, err)
		}
		add(st)
	}
	return nil
}

// progressOnly forwards a library's progress but not its metrics: a task
// reports only its share, and the merge reports the sums.
type progressOnly struct{ r *NodeRun }

func (p progressOnly) Progress(done, total int64, unit string) { p.r.Progress(done, total, unit) }
func (p progressOnly) Metric(string, int64, float64)           {}
