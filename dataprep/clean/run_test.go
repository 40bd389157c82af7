package clean

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/llmflow/llmflow/artifact"
)

type recorder struct {
	metrics map[string]float64
	last    int64
}

func (r *recorder) Progress(done, total int64, unit string) { r.last = done }
func (r *recorder) Metric(name string, step int64, v float64) {
	if r.metrics == nil {
		r.metrics = map[string]float64{}
	}
	r.metrics[name] = v
}

func writeDataset(t *testing.T, dir string, texts []string) *artifact.Dataset {
	return writeDatasetTB(t, dir, texts)
}

func writeDatasetTB(t testing.TB, dir string, texts []string) *artifact.Dataset {
	t.Helper()
	schema := artifact.TextSchema()
	w, err := artifact.NewDatasetWriter(dir, schema)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i, s := range texts {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("doc-%d", i))
		b.Field(1).(*array.StringBuilder).Append(s)
		if i%7 == 6 || i == len(texts)-1 {
			rec := b.NewRecordBatch()
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
			rec.Release()
		}
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

func TestRunDataset(t *testing.T) {
	var texts []string
	for i := 0; i < 40; i++ {
		switch i % 4 {
		case 0:
			texts = append(texts, enDoc()+fmt.Sprintf(" Entry %d is here.", i))
		case 1:
			texts = append(texts, zhDoc()+fmt.Sprintf("第%d条。", i))
		case 2:
			texts = append(texts, "too short")
		default:
			texts = append(texts, "\u200b"+enDoc()+"\n\nSecond paragraph number "+fmt.Sprint(i)+" ends here.")
		}
	}
	tmp := t.TempDir()
	in := writeDataset(t, filepath.Join(tmp, "in"), texts)
	var outputs [][]byte
	for _, workers := range []int{1, 2} {
		cfg := DefaultConfig()
		cfg.Workers = workers
		outDir := filepath.Join(tmp, fmt.Sprintf("out%d", workers))
		rejDir := filepath.Join(tmp, fmt.Sprintf("rej%d", workers))
		out, err := artifact.NewDatasetWriter(outDir, OutputSchema(in.Schema(), cfg))
		if err != nil {
			t.Fatal(err)
		}
		rej, err := artifact.NewDatasetWriter(rejDir, RejectsSchema(in.Schema()))
		if err != nil {
			t.Fatal(err)
		}
		rep := &recorder{}
		st, err := Run(context.Background(), in, out, cfg, rep, WithRejects(rej))
		if err != nil {
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
		if err := rej.Close(); err != nil {
			t.Fatal(err)
		}
		if st.DocsIn != 40 || st.DocsKept != 30 || st.Dropped[ReasonTop2Gram]+st.Dropped[ReasonShortDoc] != 10 {
			t.Fatalf("stats: in %d kept %d dropped %v", st.DocsIn, st.DocsKept, st.Dropped)
		}
		if rep.metrics["docs_kept"] != 30 || rep.last != 40 || st.LangKept[2] != 10 {
			t.Fatalf("metrics %v, progress %d, langs %v", rep.metrics["docs_kept"], rep.last, st.LangKept)
		}
		ds, err := artifact.OpenDataset(outDir)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		err = ds.Scan(context.Background(), func(rec arrow.RecordBatch) error {
			for i := 0; i < int(rec.NumRows()); i++ {
				fmt.Fprintf(&buf, "%s\t%q\t%s\n", rec.Column(0).ValueStr(i), rec.Column(1).ValueStr(i), rec.Column(2).ValueStr(i))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte("doc-0\t")) || bytes.Contains(buf.Bytes(), []byte("\u200b")) {
			t.Fatalf("unexpected output:\n%.400s", buf.String())
		}
		rds, err := artifact.OpenDataset(rejDir)
		if err != nil || rds.Rows() != 10 {
			t.Fatalf("rejects: %v rows %d", err, rds.Rows())
		}
		shard, err := os.ReadFile(filepath.Join(outDir, "part-00000.arrow"))
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, append(buf.Bytes(), shard...))
	}
	if !bytes.Equal(outputs[0], outputs[1]) {
		t.Fatal("output differs between 1 and 2 workers")
	}
}
