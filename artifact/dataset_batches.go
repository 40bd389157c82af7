package artifact

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
)

// NumBatches returns the number of record batches of the dataset, counted
// from each shard's footer without reading the batches.
func (d *Dataset) NumBatches() (int, error) {
	total := 0
	for i := range d.shards {
		n, err := d.shardBatches(i, nil)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// ScanBatches is Scan restricted to the record batches numbered [from, to)
// in scan order, reading no others: a dataset split at batch boundaries
// feeds the same batches to its parts as to a whole scan.
func (d *Dataset) ScanBatches(ctx context.Context, from, to int, fn func(rec arrow.RecordBatch) error) error {
	first := 0
	for i := range d.shards {
		if first >= to {
			return nil
		}
		n, err := d.shardBatches(i, func(path string, read func(int) (arrow.RecordBatch, error), n int) error {
			for b := max(from-first, 0); b < min(to-first, n); b++ {
				if err := ctx.Err(); err != nil {
					return err
				}
				rec, err := read(b)
				if err != nil {
					return fmt.Errorf("dataset shard %s: batch %d: %w", path, b, err)
				}
				if err := validateBatch(rec, d.schema); err != nil {
					rec.Release()
					return fmt.Errorf("dataset shard %s: batch %d: %w", path, b, err)
				}
				err = fn(rec)
				rec.Release()
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		first += n
	}
	return nil
}

// shardBatches opens shard i, calls visit (when set) with a reader of its
// batches, and returns how many batches it has.
func (d *Dataset) shardBatches(i int, visit func(path string, read func(int) (arrow.RecordBatch, error), n int) error) (int, error) {
	path := filepath.Join(d.dir, d.shards[i].Name)
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("dataset shard %s: %w", path, err)
	}
	defer f.Close()
	r, err := newShardReader(f)
	if err != nil {
		return 0, fmt.Errorf("dataset shard %s: %w", path, err)
	}
	defer r.Close()
	n, err := numRecords(r)
	if err != nil {
		return 0, fmt.Errorf("dataset shard %s: %w", path, err)
	}
	if visit != nil {
		err = visit(path, func(b int) (arrow.RecordBatch, error) { return readBatch(r, b) }, n)
	}
	return n, err
}
