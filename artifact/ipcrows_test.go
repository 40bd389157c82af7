package artifact

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// readAtCounter counts the bytes read through it.
type readAtCounter struct {
	r *bytes.Reader
	n atomic.Int64
}

func (c *readAtCounter) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// flatBatch builds a batch of every layout readRowRange handles, with
// nulls in some columns, so that ranges cut bitmaps mid-byte.
func flatBatch(rows int) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float32},
		{Name: "blob", Type: arrow.BinaryTypes.LargeBinary},
		{Name: "big", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "key", Type: &arrow.FixedSizeBinaryType{ByteWidth: 3}},
		{Name: "at", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range rows {
		if i%7 == 3 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("doc %d %s", i, strings.Repeat("x", i%50)))
		}
		if i%5 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.Int64Builder).Append(int64(i * 3))
		}
		if i%11 == 0 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.BooleanBuilder).Append(i%3 == 0)
		}
		b.Field(3).(*array.Float32Builder).Append(float32(i) / 4)
		b.Field(4).(*array.BinaryBuilder).Append([]byte{byte(i), byte(i >> 8)})
		if i%13 == 1 {
			b.Field(5).AppendNull()
		} else {
			b.Field(5).(*array.LargeStringBuilder).Append(strings.Repeat("é", i%9))
		}
		b.Field(6).(*array.FixedSizeBinaryBuilder).Append([]byte{byte(i), 1, 2})
		if i%4 == 2 {
			b.Field(7).AppendNull()
		} else {
			b.Field(7).(*array.TimestampBuilder).Append(arrow.Timestamp(i))
		}
	}
	return b.NewRecordBatch()
}

func ipcFileOf(t testing.TB, recs ...arrow.RecordBatch) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := ipc.NewFileWriter(&buf, ipc.WithSchema(recs[0].Schema()))
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReadRowRange checks that rows read alone equal the same rows of the
// whole batch, for every column layout and ranges that start and end
// inside bitmap bytes.
func TestReadRowRange(t *testing.T) {
	const rows = 1000
	rec := flatBatch(rows)
	defer rec.Release()
	if !rangeReadable(rec.Schema()) {
		t.Fatal("flat schema not range-readable")
	}
	data := ipcFileOf(t, rec)
	src := bytes.NewReader(data)
	r, blocks, err := newIPCFileReader(src, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, rg := range [][2]int64{{0, 1}, {1, 2}, {3, 17}, {8, 16}, {7, 9}, {5, rows}, {0, rows - 1}, {999, 1000}, {250, 750}, {4, 4}} {
		got, err := readBatchRows(src, r, blocks[0], 0, rg[0], rg[1], rec.Schema(), rowsReadAlone(r, rec.Schema()))
		if err != nil {
			t.Fatalf("%v: %v", rg, err)
		}
		want := rec.NewSlice(rg[0], rg[1])
		if !array.RecordEqual(got, want) {
			t.Errorf("rows %v differ:\ngot  %v\nwant %v", rg, got, want)
		}
		for i, c := range got.Columns() {
			if c.NullN() != want.Column(i).NullN() {
				t.Errorf("rows %v column %d: %d nulls, want %d", rg, i, c.NullN(), want.Column(i).NullN())
			}
		}
		got.Release()
		want.Release()
	}
}

// TestReadRowRangeReadsOnlyTheRows checks that a few rows of a large
// batch cost a few of its bytes, not all of them.
func TestReadRowRangeReadsOnlyTheRows(t *testing.T) {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	for i := range 10000 {
		b.Append(fmt.Sprintf("%05d %s", i, strings.Repeat("text ", 100)))
	}
	col := b.NewArray()
	b.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
	col.Release()
	defer rec.Release()
	data := ipcFileOf(t, rec)
	src := &readAtCounter{r: bytes.NewReader(data)}
	r, blocks, err := newIPCFileReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := readBatchRows(src, r, blocks[0], 0, 5000, 5100, schema, rowsReadAlone(r, schema))
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if v := got.Column(0).(*array.String).Value(0); !strings.HasPrefix(v, "05000 ") {
		t.Fatalf("first row %.10q, want row 5000", v)
	}
	if n := src.n.Load(); n > blocks[0].body/50 {
		t.Fatalf("read %d bytes for 1%% of a %d-byte batch", n, blocks[0].body)
	}
}

// FuzzReadRowRange reads row ranges of arbitrary files: readRowRange
// must return an error or rows that access without panicking, and, where
// arrow-go reads the whole batch as valid, the same rows as its slice.
func FuzzReadRowRange(f *testing.F) {
	rec := flatBatch(40)
	seed := ipcFileOf(f, rec)
	rec.Release()
	flipped := bytes.Clone(seed)
	flipped[len(flipped)/2] ^= 0x41
	for _, s := range [][]byte{seed, flipped} {
		f.Add(s, uint16(3), uint16(29))
		f.Add(s, uint16(0), uint16(40))
	}
	f.Fuzz(func(t *testing.T, data []byte, lo, hi uint16) {
		r, blocks, err := newIPCFileReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		defer r.Close()
		if !rangeReadable(r.Schema()) {
			return
		}
		for j, b := range blocks {
			from, to := int64(lo)%(b.rows+1), int64(hi)%(b.rows+1)
			if from > to {
				from, to = to, from
			}
			got, err := readRowRange(bytes.NewReader(data), b, from, to, r.Schema())
			if err != nil {
				continue
			}
			for _, col := range got.Columns() {
				touchAll(col)
			}
			if full, err := readBatch(r, j); err == nil {
				if validateBatch(full, r.Schema()) == nil {
					want := full.NewSlice(from, to)
					// Bit for bit, but NaN differs from itself.
					if !array.RecordApproxEqual(got, want, array.WithNaNsEqual(true), array.WithAbsTolerance(0)) {
						t.Fatalf("rows [%d, %d): %v, the whole batch's %v", from, to, got, want)
					}
					want.Release()
				}
				full.Release()
			}
			got.Release()
		}
	})
}
