package pii

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
)

func TestRun(t *testing.T) {
	tmp := t.TempDir()
	schema := artifact.TextSchema(arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int64})
	w, err := artifact.NewDatasetWriter(filepath.Join(tmp, "in"), schema)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := artifact.NewTextBuilder(schema)
	defer b.Release()
	var want []string
	for i := range 100 {
		text := fmt.Sprintf("row %d plain text", i)
		exp := text
		if i%3 == 0 {
			text = fmt.Sprintf("row %d mail u%d@example.com or 请拨13812345678", i, i)
			exp = fmt.Sprintf("row %d mail <EMAIL> or 请拨<PHONE>", i)
		}
		b.Field(2).(*array.Int64Builder).Append(int64(i))
		b.Append(fmt.Sprint(i), text)
		want = append(want, exp)
		if b.Len() == 40 {
			rec := b.NewRecordBatch()
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
			rec.Release()
		}
	}
	rec := b.NewRecordBatch()
	w.Write(rec)
	rec.Release()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	in, err := artifact.OpenDataset(filepath.Join(tmp, "in"))
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		dir := filepath.Join(tmp, fmt.Sprint("out", workers))
		out, _ := artifact.NewDatasetWriter(dir, in.Schema())
		cfg := DefaultConfig()
		cfg.Workers = workers
		st, err := Run(context.Background(), in, out, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
		if st.Docs != 100 || st.DocsChanged != 34 || st.Found[Email] != 34 || st.Found[Phone] != 34 {
			t.Errorf("stats %+v", st)
		}
		ds, _ := artifact.OpenDataset(dir)
		var got []string
		var ns []int64
		ds.Scan(context.Background(), func(rec arrow.RecordBatch) error {
			for i := range int(rec.NumRows()) {
				got = append(got, rec.Column(1).(*array.String).Value(i))
				ns = append(ns, rec.Column(2).(*array.Int64).Value(i))
			}
			return nil
		})
		if fmt.Sprint(got) != fmt.Sprint(want) || len(ns) != 100 || ns[99] != 99 {
			t.Errorf("workers=%d: got %q", workers, got[:4])
		}
	}
}

func TestRunMissingField(t *testing.T) {
	tmp := t.TempDir()
	w, _ := artifact.NewDatasetWriter(filepath.Join(tmp, "in"), artifact.TextSchema())
	b, _ := artifact.NewTextBuilder(artifact.TextSchema())
	b.Append("1", "a@b.cd")
	rec := b.NewRecordBatch()
	w.Write(rec)
	rec.Release()
	b.Release()
	w.Close()
	in, err := artifact.OpenDataset(filepath.Join(tmp, "in"))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := artifact.NewDatasetWriter(filepath.Join(tmp, "out"), in.Schema())
	defer out.Abort()
	cfg := DefaultConfig()
	cfg.Field = "body"
	if _, err := Run(context.Background(), in, out, cfg, nil); err == nil || !strings.Contains(err.Error(), "body") {
		t.Fatalf("got %v", err)
	}
}
