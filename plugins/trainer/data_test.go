package trainer

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/llmflow/llmflow/artifact"
)

func TestDataCutAndFill(t *testing.T) {
	d := &Data{}
	// 10 tokens, documents starting at 0, 4 and 7; block 4 -> pieces of 5
	// tokens overlapping by one: [0,5) [4,9) [8,10).
	d.Add([]int32{10, 11, 12, 13, 20, 21, 22, 30, 31, 32}, []int32{0, 4, 7}, nil, 4)
	wantEx := [][]int32{{10, 11, 12, 13, 20}, {20, 21, 22, 30, 31}, {31, 32}}
	wantStarts := [][]int32{{0, 4}, {0, 3}, nil}
	if len(d.Examples) != len(wantEx) {
		t.Fatalf("examples %v", d.Examples)
	}
	for i := range wantEx {
		if !slices.Equal(d.Examples[i], wantEx[i]) || !slices.Equal(d.DocStarts[i], wantStarts[i]) {
			t.Errorf("example %d: %v starts %v, want %v starts %v", i, d.Examples[i], d.DocStarts[i], wantEx[i], wantStarts[i])
		}
	}
	b := newBuffers(1, 4)
	r := b.row(0)
	if n, w := fill(r, d.Examples[1], d.DocStarts[1], nil); n != 4 || w != 4 {
		t.Fatalf("targets %d, weight %v", n, w)
	}
	if !slices.Equal(r.Inputs, []int32{20, 21, 22, 30}) || !slices.Equal(r.Targets, []int32{21, 22, 30, 31}) || !slices.Equal(r.Seg, []int32{0, 0, 0, 3}) {
		t.Fatalf("fill: in %v tg %v seg %v", r.Inputs, r.Targets, r.Seg)
	}
	// A short example pads with masked targets; padding attends to itself.
	if n, w := fill(r, d.Examples[2], d.DocStarts[2], nil); n != 1 || w != 1 {
		t.Fatalf("targets %d, weight %v", n, w)
	}
	if !slices.Equal(r.Targets, []int32{32, -1, -1, -1}) || !slices.Equal(r.Seg, []int32{0, 0, 2, 3}) || !slices.Equal(r.Weights, []float32{1, 0, 0, 0}) {
		t.Fatalf("fill short: tg %v seg %v weights %v", r.Targets, r.Seg, r.Weights)
	}
}

// TestFillMask checks that a masked token is no target: the position that
// predicts it gets weight 0 and does not count towards the weight.
func TestFillMask(t *testing.T) {
	r := newBuffers(1, 5).row(0)
	// Prompt 10 11, response 12 13: only 12 and 13 are learned.
	n, w := fill(r, []int32{10, 11, 12, 13}, nil, []uint8{0, 0, 1, 1})
	if n != 3 || w != 2 {
		t.Fatalf("targets %d, weight %v; want 3 and 2", n, w)
	}
	if !slices.Equal(r.Targets, []int32{11, 12, 13, -1, -1}) || !slices.Equal(r.Weights, []float32{0, 1, 1, 0, 0}) {
		t.Fatalf("targets %v weights %v", r.Targets, r.Weights)
	}
}

// maskColumn is a loss_mask column of the given element type for a test
// dataset.
type maskColumn struct {
	typ  arrow.DataType
	rows [][]uint8
}

// writeDataset writes rows of input_ids, a loss_mask column when mask is not
// nil and a doc_starts column when starts is not nil, as a tokens dataset in
// dir.
func writeDataset(t testing.TB, dir string, ids [][]int32, mask *maskColumn, starts [][]int32) {
	t.Helper()
	fields := []arrow.Field{{Name: artifact.ColInputIDs, Type: arrow.ListOf(arrow.PrimitiveTypes.Int32)}}
	if mask != nil {
		fields = append(fields, arrow.Field{Name: artifact.ColLossMask, Type: arrow.ListOf(mask.typ)})
	}
	if starts != nil {
		fields = append(fields, arrow.Field{Name: artifact.ColDocStarts, Type: arrow.ListOf(arrow.PrimitiveTypes.Int32)})
	}
	sc := arrow.NewSchema(fields, nil)
	w, err := artifact.NewDatasetWriter(dir, sc)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	for i, row := range ids {
		appendList(b.Field(0).(*array.ListBuilder), row)
		if mask != nil {
			vals := make([]int32, len(mask.rows[i]))
			for j, v := range mask.rows[i] {
				vals[j] = int32(v)
			}
			appendList(b.Field(1).(*array.ListBuilder), vals)
		}
		if starts != nil {
			appendList(b.Field(len(fields)-1).(*array.ListBuilder), starts[i])
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// appendList appends one list of vals to an int32 or uint8 list column.
func appendList(lb *array.ListBuilder, vals []int32) {
	lb.Append(true)
	for _, v := range vals {
		switch vb := lb.ValueBuilder().(type) {
		case *array.Uint8Builder:
			vb.Append(uint8(v))
		case *array.Int32Builder:
			vb.Append(v)
		}
	}
}

func TestLoadDataLossMask(t *testing.T) {
	ids := [][]int32{{1, 2, 3, 4, 5, 6}, {7, 8, 9}}
	tests := []struct {
		name    string
		mask    *maskColumn
		want    [][]uint8
		wantErr string
	}{
		{"no mask", nil, nil, ""},
		{"mask cut with the tokens", &maskColumn{arrow.PrimitiveTypes.Uint8, [][]uint8{{0, 0, 1, 1, 1, 1}, {0, 1, 1}}},
			[][]uint8{{0, 0, 1, 1, 1}, {1, 1}, {0, 1, 1}}, ""},
		{"mask shorter than the row", &maskColumn{arrow.PrimitiveTypes.Uint8, [][]uint8{{0, 0, 1, 1, 1, 1}, {0, 1}}},
			nil, "row 1: loss_mask holds 2 values for 3 tokens"},
		{"mask of the wrong type", &maskColumn{arrow.PrimitiveTypes.Int32, [][]uint8{{0, 0, 1, 1, 1, 1}, {0, 1, 1}}},
			nil, "column loss_mask is list<item: int32, nullable>, want list<uint8>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "tokens")
			writeDataset(t, dir, ids, tc.mask, nil)
			d, err := LoadData(context.Background(), dir, 4)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), dir) {
					t.Fatalf("err = %v, want %q naming %s", err, tc.wantErr, dir)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Examples) != 3 || len(d.Masks) != len(tc.want) {
				t.Fatalf("%d examples, masks %v; want 3 examples, masks %v", len(d.Examples), d.Masks, tc.want)
			}
			for i := range tc.want {
				if !slices.Equal(d.Masks[i], tc.want[i]) {
					t.Errorf("mask %d = %v, want %v", i, d.Masks[i], tc.want[i])
				}
			}
		})
	}
}

// FuzzLoadData feeds arbitrary shards to LoadData and fills every example it
// accepts into a batch row: errors are fine, panics are not.
func FuzzLoadData(f *testing.F) {
	dir := f.TempDir()
	writeDataset(f, dir, [][]int32{{1, 2, 3, 4, 5, 6}, {7, 8}},
		&maskColumn{arrow.PrimitiveTypes.Uint8, [][]uint8{{0, 0, 1, 1, 1, 1}, {1, 0}}}, [][]int32{{0, 3}, {1, 0, 9}})
	seed, err := os.ReadFile(filepath.Join(dir, "part-00000.arrow"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, shard []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "part-00000.arrow"), shard, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := LoadData(context.Background(), dir, 4)
		if err != nil {
			return
		}
		r := newBuffers(1, 4).row(0)
		for i, e := range d.Examples {
			if m := d.mask(i); m != nil && len(m) != len(e) {
				t.Fatalf("example %d: %d tokens, mask of %d", i, len(e), len(m))
			}
			fill(r, e, d.DocStarts[i], d.mask(i))
		}
	})
}
