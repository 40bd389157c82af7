package artifact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// maxIndexSize bounds dataset.json so that a hostile file cannot exhaust memory.
const maxIndexSize = 64 << 20

var shardRE = regexp.MustCompile(`^part-(\d{5,9})\.arrow$`)

// Dataset is a read-only view of a sharded Arrow IPC dataset directory. It
// is safe for concurrent use; every Scan opens its own files.
type Dataset struct {
	dir    string
	file   string // set by OpenIPCFile: the one shard, named by the user
	schema *arrow.Schema
	shards []shardEntry
	rows   int64
}

// OpenDataset opens the dataset in dir. It checks that the shards are
// numbered part-00000.arrow upwards without gaps, that each one is a
// readable IPC file whose schema equals the first shard's, and (when
// dataset.json is present) that shard sizes match the index. Without an
// index the shards are read once to count rows. Errors name the file.
func OpenDataset(dir string) (*Dataset, error) {
	d := &Dataset{dir: dir}
	idx, err := readDatasetIndex(dir)
	if err != nil {
		return nil, err
	}
	names, err := listShards(dir)
	if err != nil {
		return nil, err
	}
	if idx != nil {
		if len(idx.Shards) != len(names) {
			return nil, fmt.Errorf("%s: lists %d shards, directory holds %d", filepath.Join(dir, datasetIndexName), len(idx.Shards), len(names))
		}
		d.shards = idx.Shards
	} else {
		for _, n := range names {
			d.shards = append(d.shards, shardEntry{Name: n, Rows: -1})
		}
	}
	for i := range d.shards {
		if err := d.checkShard(i); err != nil {
			return nil, err
		}
		d.rows += d.shards[i].Rows
	}
	if idx != nil && idx.Rows != d.rows {
		return nil, fmt.Errorf("%s: total rows %d, shards sum to %d", filepath.Join(dir, datasetIndexName), idx.Rows, d.rows)
	}
	return d, nil
}

// OpenIPCFile opens a single Arrow IPC file as a one-shard dataset, checked
// as OpenDataset checks a shard. Errors and Dir name the file itself.
func OpenIPCFile(path string) (*Dataset, error) {
	d := &Dataset{dir: filepath.Dir(path), file: path, shards: []shardEntry{{Name: filepath.Base(path), Rows: -1}}}
	if err := d.checkShard(0); err != nil {
		return nil, err
	}
	d.rows = d.shards[0].Rows
	return d, nil
}

func readDatasetIndex(dir string) (*datasetIndex, error) {
	path := filepath.Join(dir, datasetIndexName)
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", dir, err)
	}
	if fi.Size() > maxIndexSize {
		return nil, fmt.Errorf("%s: %d bytes, larger than the %d limit", path, fi.Size(), maxIndexSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var idx datasetIndex
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if idx.Format != datasetFormat {
		return nil, fmt.Errorf("%s: unknown format %q (want %q)", path, idx.Format, datasetFormat)
	}
	for i, s := range idx.Shards {
		if s.Name != shardName(i) || s.Rows < 0 || s.Bytes < 0 {
			return nil, fmt.Errorf("%s: shard %d: bad entry %+v", path, i, s)
		}
	}
	return &idx, nil
}

// listShards returns the shard names in dir, checking they run from 0 without gaps.
func listShards(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", dir, err)
	}
	type numbered struct {
		n    int
		name string
	}
	var found []numbered
	for _, e := range ents {
		m := shardRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		found = append(found, numbered{n, e.Name()})
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("dataset %s: no part-NNNNN.arrow shards", dir)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].n < found[j].n })
	names := make([]string, len(found))
	for i, f := range found {
		if f.n != i || f.name != shardName(i) {
			return nil, fmt.Errorf("dataset %s: expected shard %s, found %s", dir, shardName(i), f.name)
		}
		names[i] = f.name
	}
	return names, nil
}

// checkShard opens shard i, compares its schema with the dataset's and, if
// its row count is unknown, counts rows by reading it.
func (d *Dataset) checkShard(i int) error {
	s := &d.shards[i]
	path := filepath.Join(d.dir, s.Name)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dataset shard %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("dataset shard %s: %w", path, err)
	}
	if s.Rows >= 0 && fi.Size() != s.Bytes {
		return fmt.Errorf("dataset shard %s: %d bytes, index says %d", path, fi.Size(), s.Bytes)
	}
	r, _, err := newShardReader(f)
	if err != nil {
		return fmt.Errorf("dataset shard %s: %w", path, err)
	}
	defer r.Close()
	if d.schema == nil {
		d.schema = r.Schema()
	} else if !r.Schema().Equal(d.schema) {
		return fmt.Errorf("dataset shard %s: schema {%s} differs from %s's {%s}",
			path, SchemaString(r.Schema()), d.shards[0].Name, SchemaString(d.schema))
	}
	if s.Rows >= 0 {
		return nil
	}
	s.Rows = 0
	return scanShard(context.Background(), r, d.schema, path, 0, func(rec arrow.RecordBatch) error {
		s.Rows += rec.NumRows()
		return nil
	})
}

// Dir returns the dataset directory, or the file for OpenIPCFile.
func (d *Dataset) Dir() string {
	if d.file != "" {
		return d.file
	}
	return d.dir
}

// Schema returns the dataset schema (shared by every shard).
func (d *Dataset) Schema() *arrow.Schema { return d.schema }

// Rows returns the total number of rows.
func (d *Dataset) Rows() int64 { return d.rows }

// NumShards returns the number of shards.
func (d *Dataset) NumShards() int { return len(d.shards) }

// ShardRows returns the number of rows in shard i.
func (d *Dataset) ShardRows(i int) int64 { return d.shards[i].Rows }

// Scan calls fn with every record batch of every shard, in order. A batch is
// valid only during the call (Retain it to keep it). Each batch is
// validated before fn sees it; a corrupt shard is an error naming the file.
// Scan stops at the first error from fn or when ctx is done.
func (d *Dataset) Scan(ctx context.Context, fn func(rec arrow.RecordBatch) error) error {
	for i := range d.shards {
		if err := d.ScanShard(ctx, i, fn); err != nil {
			return err
		}
	}
	return nil
}

// ScanShard is Scan restricted to shard i; shards may be scanned concurrently.
func (d *Dataset) ScanShard(ctx context.Context, i int, fn func(rec arrow.RecordBatch) error) error {
	return d.ScanShardFrom(ctx, i, 0, func(_ int64, rec arrow.RecordBatch) error { return fn(rec) })
}

// ScanShardFrom is ScanShard from the batch that holds row from of shard
// i (counted from the shard's first row) on; fn also gets the shard row of
// each batch's first row. The batches before are skipped unread: their
// rows are known from the batch headers, which opening the shard verifies.
func (d *Dataset) ScanShardFrom(ctx context.Context, i int, from int64, fn func(first int64, rec arrow.RecordBatch) error) error {
	sh, err := d.openShard(i)
	if err != nil {
		return err
	}
	defer sh.close()
	r, blocks, path := sh.r, sh.blocks, sh.path
	var first int64
	skip := 0
	for skip < len(blocks) && first+blocks[skip].rows <= from {
		first += blocks[skip].rows
		skip++
	}
	return scanShard(ctx, r, d.schema, path, skip, func(rec arrow.RecordBatch) error {
		err := fn(first, rec)
		first += rec.NumRows()
		return err
	})
}

// openedShard is a shard file open for reading, its batches verified.
type openedShard struct {
	f      *os.File
	r      *ipc.FileReader
	blocks []ipcBlock
	path   string
}

func (sh *openedShard) close() {
	sh.r.Close()
	sh.f.Close()
}

// openShard opens shard i and checks its batches' rows against the
// manifest's count.
func (d *Dataset) openShard(i int) (*openedShard, error) {
	if i < 0 || i >= len(d.shards) {
		return nil, fmt.Errorf("dataset %s: shard %d out of range [0, %d)", d.dir, i, len(d.shards))
	}
	s := d.shards[i]
	path := filepath.Join(d.dir, s.Name)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset shard %s: %w", path, err)
	}
	r, blocks, err := newShardReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("dataset shard %s: %w", path, err)
	}
	if err := checkShardRows(blocks, s.Rows); err != nil {
		r.Close()
		f.Close()
		return nil, fmt.Errorf("dataset shard %s: %w", path, err)
	}
	return &openedShard{f: f, r: r, blocks: blocks, path: path}, nil
}

// ShardBatchRows returns the rows of each record batch of shard i, as
// the batch headers give them, reading no batch.
func (d *Dataset) ShardBatchRows(i int) ([]int64, error) {
	if i < 0 || i >= len(d.shards) {
		return nil, fmt.Errorf("dataset %s: shard %d out of range [0, %d)", d.dir, i, len(d.shards))
	}
	path := filepath.Join(d.dir, d.shards[i].Name)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset shard %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("dataset shard %s: %w", path, err)
	}
	blocks, err := verifyIPCFile(f, fi.Size(), ipcNoDict)
	if err != nil {
		return nil, fmt.Errorf("dataset shard %s: not a readable Arrow IPC file: %w", path, err)
	}
	rows := make([]int64, len(blocks))
	for j, b := range blocks {
		rows[j] = b.rows
	}
	return rows, nil
}

// ScanShardRows calls fn with rows [from, to) of shard i (counted from
// the shard's first row) batch by batch, each batch sliced to the range,
// with the shard row of its first row. Only the batches that hold those
// rows are read and only those rows validated, so that scans of
// neighbouring ranges do not each check a batch they share. With step >
// 0 each batch is read in pieces of step rows counted from its first row,
// each read alone: a scan then holds a piece, not a whole batch.
func (d *Dataset) ScanShardRows(ctx context.Context, i int, from, to, step int64, fn func(first int64, rec arrow.RecordBatch) error) error {
	sh, err := d.openShard(i)
	if err != nil {
		return err
	}
	defer sh.close()
	alone := rowsReadAlone(sh.r, d.schema)
	var first int64
	for j, b := range sh.blocks {
		lo, hi := max(from-first, 0), min(to-first, b.rows)
		if lo >= hi {
			first += b.rows
			if first >= to {
				return nil
			}
			continue
		}
		if err := d.scanPieces(ctx, sh, j, lo, hi, step, alone, func(row int64, rec arrow.RecordBatch) error {
			return fn(first+row, rec)
		}); err != nil {
			return err
		}
		first += b.rows
	}
	return nil
}

// scanPieces calls fn with rows [lo, hi) of batch j in pieces of step
// rows counted from the batch's first row (one piece when step is 0),
// each read alone when rows can be (alone), else sliced from one read.
func (d *Dataset) scanPieces(ctx context.Context, sh *openedShard, j int, lo, hi, step int64, alone bool, fn func(row int64, rec arrow.RecordBatch) error) error {
	var whole arrow.RecordBatch
	if step == 0 || !alone {
		rec, err := readBatchRows(sh.f, sh.r, sh.blocks[j], j, lo, hi, d.schema, alone)
		if err != nil {
			return fmt.Errorf("dataset shard %s: batch %d: %w", sh.path, j, err)
		}
		defer rec.Release()
		whole = rec
	}
	for plo := lo; plo < hi; {
		phi := hi
		if step > 0 {
			phi = min(hi, (plo/step+1)*step)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var rec arrow.RecordBatch
		if whole != nil {
			rec = whole.NewSlice(plo-lo, phi-lo)
		} else {
			var err error
			if rec, err = readBatchRows(sh.f, sh.r, sh.blocks[j], j, plo, phi, d.schema, alone); err != nil {
				return fmt.Errorf("dataset shard %s: batch %d: %w", sh.path, j, err)
			}
		}
		err := fn(plo, rec)
		rec.Release()
		if err != nil {
			return err
		}
		plo = phi
	}
	return nil
}

// checkShardRows checks that the batch headers give the rows the index
// records.
func checkShardRows(blocks []ipcBlock, want int64) error {
	var rows int64
	for _, b := range blocks {
		rows += b.rows
		if rows > want || rows < 0 {
			return fmt.Errorf("more than the %d rows recorded", want)
		}
	}
	if rows != want {
		return fmt.Errorf("%d rows, %d recorded", rows, want)
	}
	return nil
}

// rowsReadAlone tells whether rows of r's batches can be read without the
// rest of their batch: r holds schema, a flat one (rangeReadable).
func rowsReadAlone(r *ipc.FileReader, schema *arrow.Schema) bool {
	return r.Schema().Equal(schema) && rangeReadable(schema)
}

// readBatchRows returns rows [lo, hi) of batch j of r, whose block in src
// is blk, validated. Part of a batch is read alone when alone
// (rowsReadAlone) says it can be.
func readBatchRows(src io.ReaderAt, r *ipc.FileReader, blk ipcBlock, j int, lo, hi int64, schema *arrow.Schema, alone bool) (rec arrow.RecordBatch, err error) {
	if alone && (lo > 0 || hi < blk.rows) {
		return readRowRange(src, blk, lo, hi, schema)
	}
	full, err := readBatch(r, j)
	if err != nil {
		return nil, err
	}
	defer full.Release()
	if full.NumRows() < hi {
		return nil, fmt.Errorf("%d rows, the header says at least %d", full.NumRows(), hi)
	}
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("corrupt record batch: %v", p)
		}
	}()
	rec = full.NewSlice(lo, hi)
	if err := validateBatch(rec, schema); err != nil {
		rec.Release()
		return nil, err
	}
	return rec, nil
}

// newShardReader opens an IPC file reader, turning a panic inside arrow-go
// on a hostile footer into an error, and returns the batches' blocks.
func newShardReader(f *os.File) (*ipc.FileReader, []ipcBlock, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	return newIPCFileReader(f, fi.Size())
}

// newIPCFileReader verifies and opens an IPC file of the given size and
// returns its record batches' blocks, with rows as the batch headers give
// them.
func newIPCFileReader(f ipc.ReadAtSeeker, size int64) (r *ipc.FileReader, blocks []ipcBlock, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, blocks, err = nil, nil, fmt.Errorf("corrupt Arrow IPC file: %v", p)
		}
	}()
	if blocks, err = verifyIPCFile(f, size, ipcNoDict); err != nil {
		return nil, nil, fmt.Errorf("not a readable Arrow IPC file: %w", err)
	}
	r, err = ipc.NewFileReader(f, ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, nil, fmt.Errorf("not a readable Arrow IPC file: %w", err)
	}
	return r, blocks, nil
}

// scanShard reads the batches of r from batch from on, validates each
// against schema and calls fn.
func scanShard(ctx context.Context, r *ipc.FileReader, schema *arrow.Schema, path string, from int, fn func(arrow.RecordBatch) error) error {
	n, err := numRecords(r)
	if err != nil {
		return fmt.Errorf("dataset shard %s: %w", path, err)
	}
	for i := from; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := readBatch(r, i)
		if err != nil {
			return fmt.Errorf("dataset shard %s: batch %d: %w", path, i, err)
		}
		if err := validateBatch(rec, schema); err != nil {
			rec.Release()
			return fmt.Errorf("dataset shard %s: batch %d: %w", path, i, err)
		}
		err = fn(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// numRecords reads the footer's batch count, which arrow-go decodes lazily
// (and may panic on) from an unchecked flatbuffer.
func numRecords(r *ipc.FileReader) (n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			n, err = 0, fmt.Errorf("corrupt footer: %v", p)
		}
	}()
	return r.NumRecords(), nil
}

func readBatch(r *ipc.FileReader, i int) (rec arrow.RecordBatch, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("corrupt record batch: %v", p)
		}
	}()
	return r.RecordBatchAt(i)
}

// Head returns up to n rows from the start of the dataset as one record
// batch (owned by the caller, who must Release it), for previews.
func (d *Dataset) Head(ctx context.Context, n int64) (arrow.RecordBatch, error) {
	var parts []arrow.RecordBatch
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	var got int64
	errEnough := errors.New("enough rows")
	err := d.Scan(ctx, func(rec arrow.RecordBatch) error {
		take := min(rec.NumRows(), n-got)
		parts = append(parts, rec.NewSlice(0, take))
		if got += take; got >= n {
			return errEnough
		}
		return nil
	})
	if err != nil && err != errEnough {
		return nil, err
	}
	return concatBatches(d.schema, parts)
}

// concatBatches joins batches of one schema into a single batch.
func concatBatches(schema *arrow.Schema, parts []arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, schema.NumFields())
	var rows int64
	for _, p := range parts {
		rows += p.NumRows()
	}
	for i := range cols {
		arrs := make([]arrow.Array, len(parts))
		for j, p := range parts {
			arrs[j] = p.Column(i)
		}
		if len(arrs) == 0 {
			cols[i] = array.MakeArrayOfNull(memory.DefaultAllocator, schema.Field(i).Type, 0)
			continue
		}
		c, err := array.Concatenate(arrs, memory.DefaultAllocator)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	rec := array.NewRecordBatch(schema, cols, rows)
	for _, c := range cols {
		c.Release()
	}
	return rec, nil
}
