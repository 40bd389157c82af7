package dedup

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
)

// writeTextDataset writes texts as a text dataset with an extra "n" column,
// batchRows rows per record batch.
func writeTextDataset(t *testing.T, dir string, texts []string, batchRows int) *artifact.Dataset {
	t.Helper()
	schema := artifact.TextSchema(arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int64})
	w, err := artifact.NewDatasetWriter(dir, schema, artifact.WithShardRows(7))
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
	for i, s := range texts {
		b.Field(2).(*array.Int64Builder).Append(int64(i))
		b.Append(fmt.Sprint("doc", i), s)
		if b.Len() == batchRows {
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

func readRows(t *testing.T, ds *artifact.Dataset) (ids []string, ns []int64) {
	t.Helper()
	err := ds.Scan(context.Background(), func(rec arrow.RecordBatch) error {
		id := rec.Column(0).(*array.String)
		n := rec.Column(2).(*array.Int64)
		for i := range int(rec.NumRows()) {
			ids = append(ids, id.Value(i))
			ns = append(ns, n.Value(i))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, ns
}

type nopReporter struct{ last int64 }

func (r *nopReporter) Progress(done, total int64, unit string)     { r.last = done }
func (*nopReporter) Metric(name string, step int64, value float64) {}

// randomDoc returns a seeded text of 60 words from a 500-word vocabulary.
func randomDoc(r *rand.Rand) string {
	w := make([]string, 60)
	for i := range w {
		w[i] = fmt.Sprintf("w%d", r.IntN(500))
	}
	return strings.Join(w, " ") + " lazy"
}

func TestRun(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var texts []string
	for i := range 40 {
		switch {
		case i%5 == 1:
			texts = append(texts, texts[i-1]) // exact copy of the previous doc
		case i%5 == 2:
			texts = append(texts, strings.Replace(texts[i-2], "lazy", "idle", 1))
		default:
			texts = append(texts, randomDoc(r))
		}
	}
	tmp := t.TempDir()
	in := writeTextDataset(t, filepath.Join(tmp, "in"), texts, 6)
	ref := writeTextDataset(t, filepath.Join(tmp, "ref"), []string{texts[35]}, 6)
	for _, workers := range []int{1, 2} {
		outDir := filepath.Join(tmp, fmt.Sprint("out", workers))
		out, err := artifact.NewDatasetWriter(outDir, in.Schema(), artifact.WithShardRows(5))
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.Workers = workers
		rep := &nopReporter{}
		st, err := Run(context.Background(), in, out, cfg, rep, WithAgainst(ref, ""))
		if err != nil {
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
		ds, err := artifact.OpenDataset(outDir)
		if err != nil {
			t.Fatal(err)
		}
		_, ns := readRows(t, ds)
		var want []int64
		for i := range 40 {
			if i%5 != 1 && i%5 != 2 && i != 35 {
				want = append(want, int64(i))
			}
		}
		if fmt.Sprint(ns) != fmt.Sprint(want) {
			t.Errorf("workers=%d: kept %v, want %v", workers, ns, want)
		}
		if st.Exact != 7 || st.Near != 7 || st.AgainstExact != 2 || st.AgainstNear != 1 || st.Clusters != 7 || st.LargestCluster != 3 || rep.last != 40 {
			t.Errorf("workers=%d: stats %+v, progress %d", workers, st, rep.last)
		}
	}
}

func TestRunMissingField(t *testing.T) {
	tmp := t.TempDir()
	in := writeTextDataset(t, filepath.Join(tmp, "in"), []string{"a"}, 6)
	out, _ := artifact.NewDatasetWriter(filepath.Join(tmp, "out"), in.Schema())
	defer out.Abort()
	cfg := DefaultConfig()
	cfg.Field = "body"
	_, err := Run(context.Background(), in, out, cfg, nil)
	if err == nil || !strings.Contains(err.Error(), `"body"`) {
		t.Fatalf("got %v", err)
	}
}
