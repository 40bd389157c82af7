package artifact

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func writeTextDataset(t testing.TB, dir string, n int, shardRows int64) {
	t.Helper()
	tw, err := NewTextWriter(dir, nil, WithShardRows(shardRows))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := tw.Append(fmt.Sprintf("d%d", i), fmt.Sprintf("text number %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDatasetRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		rows, shardRows int64
		shards          int
	}{{0, 10, 1}, {1, 10, 1}, {10, 10, 1}, {25, 10, 3}, {20000, 7000, 3}} {
		t.Run(fmt.Sprintf("%d/%d", tc.rows, tc.shardRows), func(t *testing.T) {
			dir := t.TempDir()
			writeTextDataset(t, dir, int(tc.rows), tc.shardRows)
			d, err := OpenDataset(dir)
			if err != nil {
				t.Fatal(err)
			}
			if d.Rows() != tc.rows || d.NumShards() != tc.shards || !d.Schema().Equal(TextSchema()) {
				t.Fatalf("rows %d shards %d schema %s", d.Rows(), d.NumShards(), d.Schema())
			}
			i := 0
			err = d.Scan(context.Background(), func(rec arrow.RecordBatch) error {
				ids := rec.Column(0).(*array.String)
				texts := rec.Column(1).(*array.String)
				for j := 0; j < int(rec.NumRows()); j++ {
					if ids.Value(j) != fmt.Sprintf("d%d", i) || texts.Value(j) != fmt.Sprintf("text number %d", i) {
						return fmt.Errorf("row %d: %q %q", i, ids.Value(j), texts.Value(j))
					}
					i++
				}
				return nil
			})
			if err != nil || int64(i) != tc.rows {
				t.Fatalf("scan: %d rows, %v", i, err)
			}
			// Without the index, rows are counted from the shards.
			os.Remove(filepath.Join(dir, datasetIndexName))
			d2, err := OpenDataset(dir)
			if err != nil || d2.Rows() != tc.rows {
				t.Fatalf("without index: %v %v", d2, err)
			}
		})
	}
}

func TestDatasetDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeTextDataset(t, a, 5000, 2000)
	writeTextDataset(t, b, 5000, 2000)
	da, _, err := DigestDir(KindText, a)
	if err != nil {
		t.Fatal(err)
	}
	db, _, _ := DigestDir(KindText, b)
	if da != db {
		t.Fatalf("same rows gave %s and %s", da, db)
	}
}

func TestDatasetWriterSchemaMismatch(t *testing.T) {
	w, err := NewDatasetWriter(t.TempDir(), TextSchema())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewTextBuilder(TextSchema(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64}))
	b.Append("a", "b")
	b.Field(2).(*array.Int64Builder).Append(1)
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := w.Write(rec); err == nil {
		t.Fatal("Write accepted a foreign schema")
	}
}

func TestRecordWriterTokens(t *testing.T) {
	dir := t.TempDir()
	rw, err := NewRecordWriter(dir, TokensSchema(false, false), WithShardRows(5000))
	if err != nil {
		t.Fatal(err)
	}
	ids := rw.Builder().Field(0).(*array.ListBuilder)
	vals := ids.ValueBuilder().(*array.Int32Builder)
	const rows = 20000
	for i := 0; i < rows; i++ {
		ids.Append(true)
		for j := 0; j < i%7; j++ {
			vals.Append(int32(i + j))
		}
		if err := rw.RowDone(4 * (i % 7)); err != nil {
			t.Fatal(err)
		}
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDataset(dir)
	if err != nil || d.Rows() != rows || d.NumShards() != 4 {
		t.Fatalf("%v %v", d, err)
	}
	i := 0
	err = d.Scan(context.Background(), func(rec arrow.RecordBatch) error {
		l := rec.Column(0).(*array.List)
		for r := 0; r < l.Len(); r++ {
			s, e := l.ValueOffsets(r)
			if e-s != int64(i%7) {
				return fmt.Errorf("row %d: %d tokens", i, e-s)
			}
			i++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestScanShardFrom checks that a scan from a row starts at the batch
// holding it, with the rows numbered as a scan from the start numbers them.
func TestScanShardFrom(t *testing.T) {
	dir := t.TempDir()
	const rows = 3*DefaultBatchRows + 100
	writeTextDataset(t, dir, rows, 1<<20)
	d, err := OpenDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	var batches int
	if err := d.ScanShard(context.Background(), 0, func(arrow.RecordBatch) error { batches++; return nil }); err != nil || batches < 3 {
		t.Fatalf("%d batches, %v; the test needs several", batches, err)
	}
	for _, from := range []int64{0, 1, DefaultBatchRows - 1, DefaultBatchRows, DefaultBatchRows + 1, rows - 1, rows} {
		t.Run(fmt.Sprint(from), func(t *testing.T) {
			next := int64(-1)
			err := d.ScanShardFrom(context.Background(), 0, from, func(first int64, rec arrow.RecordBatch) error {
				if next < 0 && (first > from || first+rec.NumRows() <= from) {
					return fmt.Errorf("first batch holds rows [%d, %d), not row %d", first, first+rec.NumRows(), from)
				}
				if next >= 0 && first != next {
					return fmt.Errorf("batch starts at row %d, want %d", first, next)
				}
				if err := checkRowIDs(first, rec); err != nil {
					return err
				}
				next = first + rec.NumRows()
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if from < rows && next != rows {
				t.Fatalf("scan ended at row %d, want %d", next, rows)
			}
			if from == rows && next != -1 {
				t.Fatalf("a scan from the end read rows up to %d", next)
			}
		})
	}
}

// checkRowIDs checks that rec, whose first row is shard row first, holds
// the ids writeTextDataset gives those rows.
func checkRowIDs(first int64, rec arrow.RecordBatch) error {
	ids := rec.Column(0).(*array.String)
	for j := range int(rec.NumRows()) {
		if want := fmt.Sprintf("d%d", first+int64(j)); ids.Value(j) != want {
			return fmt.Errorf("row %d holds %q, want %q", first+int64(j), ids.Value(j), want)
		}
	}
	return nil
}

// TestScanShardRows checks that a scan of a row range yields exactly
// those rows, numbered as a scan from the start numbers them.
func TestScanShardRows(t *testing.T) {
	dir := t.TempDir()
	const rows = 3*DefaultBatchRows + 100
	writeTextDataset(t, dir, rows, 1<<20)
	d, err := OpenDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	ranges := [][2]int64{{0, rows}, {1, 2}, {DefaultBatchRows - 1, DefaultBatchRows + 1}, {DefaultBatchRows, 2 * DefaultBatchRows}, {5, rows - 5}, {rows, rows}, {7, 7}}
	for _, step := range []int64{0, 1000, 3} {
		for _, r := range ranges {
			if step == 3 && r[1]-r[0] > 5000 {
				continue
			}
			t.Run(fmt.Sprint(r, step), func(t *testing.T) { checkScanShardRows(t, d, r, step) })
		}
	}
	// A list column: pieces are sliced from one read of the batch.
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}, {Name: "ids", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32)}}, nil)
	ldir := filepath.Join(t.TempDir(), "lists")
	w, err := NewDatasetWriter(ldir, schema)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range 3000 {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("d%d", i))
		b.Field(1).(*array.ListBuilder).Append(true)
		b.Field(1).(*array.ListBuilder).ValueBuilder().(*array.Int32Builder).Append(int32(i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lists, err := OpenDataset(ldir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]int64{{0, 3000}, {5, 2999}, {1024, 1025}} {
		checkScanShardRows(t, lists, r, 1000)
	}
}

// checkScanShardRows scans rows r in pieces of step rows (0: whole
// batches) and checks the rows come in order, each piece cut from its
// batch's first row in steps.
func checkScanShardRows(t *testing.T, d *Dataset, r [2]int64, step int64) {
	t.Helper()
	next := r[0]
	err := d.ScanShardRows(context.Background(), 0, r[0], r[1], step, func(first int64, rec arrow.RecordBatch) error {
		if first != next {
			return fmt.Errorf("batch starts at row %d, want %d", first, next)
		}
		if inBatch := first % DefaultBatchRows; step > 0 && (rec.NumRows() > step || first != r[0] && inBatch%step != 0) {
			return fmt.Errorf("piece of %d rows at row %d of its batch, pieces of %d", rec.NumRows(), inBatch, step)
		}
		if err := checkRowIDs(first, rec); err != nil {
			return err
		}
		next = first + rec.NumRows()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if next != max(r[0], r[1]) {
		t.Fatalf("scan ended at row %d, want %d", next, r[1])
	}
}

// TestDatasetWriterFiles checks that the hashes a writer takes as it
// writes are the files' own, and that a commit given them publishes the
// digest that hashing the files gives.
func TestDatasetWriterFiles(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.NewStaging(KindText)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewDatasetWriter(st.Dir(), TextSchema(), WithShardRows(1000), WithFileHashes())
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range copyBatches(t, TextSchema(), []int{700, 700, 5}) {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	digest, files, err := DigestDir(KindText, st.Dir())
	if err != nil {
		t.Fatal(err)
	}
	got := w.Files()
	sort.Slice(got, func(i, j int) bool { return got[i].Name < got[j].Name })
	if len(files) != 3 || fmt.Sprint(got) != fmt.Sprint(files) {
		t.Fatalf("Files() = %v, hashed %v", got, files)
	}
	st.SetFiles(got)
	m, err := st.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if m.Digest != digest {
		t.Fatalf("committed %s, files hash to %s", m.Digest, digest)
	}
	if err := m.Verify(s.Path(m.Digest)); err != nil {
		t.Fatal(err)
	}
}

// copyBatches returns batches of schema with the given row counts; the
// text of row i is i's decimal repeated, so that bodies differ in size.
func copyBatches(t *testing.T, schema *arrow.Schema, sizes []int) []arrow.RecordBatch {
	t.Helper()
	var out []arrow.RecordBatch
	row := 0
	for _, n := range sizes {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for range n {
			for c, f := range schema.Fields() {
				switch bld := b.Field(c).(type) {
				case *array.StringBuilder:
					bld.Append(strings.Repeat(fmt.Sprint(row), row%7+c))
				case *array.LargeStringBuilder:
					if row%5 == 0 && f.Nullable {
						bld.AppendNull()
					} else {
						bld.Append(fmt.Sprint(row))
					}
				case *array.ListBuilder:
					bld.Append(true)
					for k := range row % 4 {
						bld.ValueBuilder().(*array.Int32Builder).Append(int32(row + k))
					}
				default:
					t.Fatalf("no values for %s", f.Type)
				}
			}
			row++
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
	}
	return out
}

// TestDatasetWriterBackgroundSync writes shards past several background
// syncs, and across shard ends, and reads them back whole.
func TestDatasetWriterBackgroundSync(t *testing.T) {
	dir := t.TempDir()
	w, err := NewDatasetWriter(dir, TextSchema(), WithShardRows(3000), WithBackgroundSync())
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, TextSchema())
	defer b.Release()
	for i := range 1000 {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprint(i))
		b.Field(1).(*array.StringBuilder).Append(strings.Repeat("x", 10000))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	for range 4 { // 40 MB: 5 syncs or so, and a shard end within a batch
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows() != 4000 || d.NumShards() != 2 {
		t.Fatalf("%d rows in %d shards", d.Rows(), d.NumShards())
	}
	if err := d.Scan(context.Background(), func(arrow.RecordBatch) error { return nil }); err != nil {
		t.Fatal(err)
	}
}
