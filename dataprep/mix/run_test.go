package mix

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
)

type nopReporter struct{}

func (nopReporter) Progress(int64, int64, string) {}

// writeSource writes n rows "<prefix><i>" in batches of 7 and shards of 50,
// with the extra columns given (every one int64 i).
func writeSource(t testing.TB, dir, prefix string, n int, extra ...string) *artifact.Dataset {
	return writeSourceBatches(t, dir, prefix, n, 7, 50, extra...)
}

func writeSourceBatches(t testing.TB, dir, prefix string, n, batch int, shard int64, extra ...string) *artifact.Dataset {
	t.Helper()
	var fields []arrow.Field
	for _, name := range extra {
		fields = append(fields, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64})
	}
	schema := artifact.TextSchema(fields...)
	w, err := artifact.NewDatasetWriter(dir, schema, artifact.WithShardRows(shard))
	if err != nil {
		t.Fatal(err)
	}
	b, err := artifact.NewTextBuilder(schema)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	flush := func() {
		rec := b.NewRecordBatch()
		defer rec.Release()
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		for j := range extra {
			b.Field(2 + j).(*array.Int64Builder).Append(int64(i))
		}
		b.Append(fmt.Sprint(prefix, i), fmt.Sprintf("text %s%d", prefix, i))
		if b.Len() == batch {
			flush()
		}
	}
	if b.Len() > 0 {
		flush()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// mixRun mixes sources into dir and returns the stats and the rows as
// "source:id" with the output dataset.
func mixRun(t *testing.T, dir string, sources []Source, cfg Config, seed int64) (Stats, []string, *artifact.Dataset) {
	t.Helper()
	var schemas []*arrow.Schema
	for _, s := range sources {
		schemas = append(schemas, s.Data.Schema())
	}
	w, err := artifact.NewDatasetWriter(dir, OutputSchema(schemas))
	if err != nil {
		t.Fatal(err)
	}
	st, err := Run(context.Background(), sources, w, cfg, seed, nopReporter{})
	if err != nil {
		w.Abort()
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := artifact.OpenDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	err = out.Scan(context.Background(), func(rec arrow.RecordBatch) error {
		ids := rec.Column(0).(*array.String)
		src := rec.Column(int(rec.NumCols()) - 1).(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			rows = append(rows, src.Value(i)+":"+ids.Value(i))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, rows, out
}

func TestRun(t *testing.T) {
	tmp := t.TempDir()
	a := writeSource(t, filepath.Join(tmp, "a"), "a", 300, "n", "only_a")
	b := writeSource(t, filepath.Join(tmp, "b"), "b", 120, "n")
	sources := []Source{{Name: "dataset.a", Data: a}, {Name: "clean.b", Data: b}}
	st, rows, out := mixRun(t, filepath.Join(tmp, "out"), sources, DefaultConfig(), 1)

	if got := artifact.SchemaString(out.Schema()); got != "id: utf8, text: utf8, n: int64, source: utf8" {
		t.Errorf("schema %s: want the common extra n kept, only_a dropped, source added", got)
	}
	if !slices.Equal(st.Rows, []int64{300, 120}) || len(rows) != 420 {
		t.Errorf("stats %v, %d rows; want every row of both", st.Rows, len(rows))
	}
	// Rows keep their order within a source.
	next := map[string]int{}
	for _, r := range rows {
		i := strings.LastIndexByte(r, ':')
		src, id := r[:i], r[i+1:]
		want := map[string]string{"dataset.a": "a", "clean.b": "b"}[src] + fmt.Sprint(next[src])
		if id != want {
			t.Fatalf("row %q, want id %s next from %s", r, want, src)
		}
		next[src]++
	}
	if m := st.Metrics(); m["rows"] != 420 || m["rows.dataset.a"] != 300 || m["rows.clean.b"] != 120 {
		t.Errorf("metrics %v", m)
	}
}

// TestRunDeterministic: same seed and inputs give byte-identical shards.
func TestRunDeterministic(t *testing.T) {
	tmp := t.TempDir()
	a := writeSource(t, filepath.Join(tmp, "a"), "a", 400)
	b := writeSource(t, filepath.Join(tmp, "b"), "b", 400)
	sources := []Source{{Name: "a", Data: a}, {Name: "b", Data: b}}
	cfg := Config{Weights: []float64{0.7, 0.3}, OnExhausted: OnExhaustedStop}
	_, r1, d1 := mixRun(t, filepath.Join(tmp, "1"), sources, cfg, 5)
	_, r2, d2 := mixRun(t, filepath.Join(tmp, "2"), sources, cfg, 5)
	_, r3, _ := mixRun(t, filepath.Join(tmp, "3"), sources, cfg, 6)
	if !slices.Equal(r1, r2) || slices.Equal(r1, r3) {
		t.Fatal("order is not a function of the seed")
	}
	for i := 0; i < d1.NumShards(); i++ {
		name := fmt.Sprintf("part-%05d.arrow", i)
		b1, err1 := os.ReadFile(filepath.Join(d1.Dir(), name))
		b2, err2 := os.ReadFile(filepath.Join(d2.Dir(), name))
		if err1 != nil || err2 != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("%s differs between two runs with the same seed (%v, %v)", name, err1, err2)
		}
	}
}

func TestRunBadConfig(t *testing.T) {
	tmp := t.TempDir()
	a := writeSource(t, filepath.Join(tmp, "a"), "a", 3)
	w, err := artifact.NewDatasetWriter(filepath.Join(tmp, "out"), OutputSchema([]*arrow.Schema{a.Schema()}))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	cfg := Config{Weights: []float64{1, 2}, OnExhausted: OnExhaustedStop}
	if _, err := Run(context.Background(), []Source{{Name: "a", Data: a}}, w, cfg, 0, nopReporter{}); err == nil {
		t.Error("two weights for one source were accepted")
	}
}
