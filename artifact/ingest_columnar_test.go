package artifact

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// columnarFixture returns a batch with a binary "body" column (so invalid
// UTF-8 can be stored), an int64 "key" id column with a null, a "text"
// column that must be renamed, and a float column.
func columnarFixture(t testing.TB, bodies []string) arrow.RecordBatch {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "key", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "body", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i, body := range bodies {
		if i == 1 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.Int64Builder).Append(int64(100 + i))
		}
		if body == "<null>" {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.BinaryBuilder).Append([]byte(body))
		}
		b.Field(2).(*array.StringBuilder).Append("orig" + string(rune('a'+i)))
		b.Field(3).(*array.Float64Builder).Append(float64(i) / 2)
	}
	return b.NewRecordBatch()
}

func writeColumnar(t testing.TB, format string, rec arrow.RecordBatch) string {
	t.Helper()
	dir := t.TempDir()
	var path string
	f := func(name string) *os.File {
		path = filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	switch format {
	case "parquet":
		out := f("in.parquet")
		tbl := array.NewTableFromRecords(rec.Schema(), []arrow.RecordBatch{rec})
		defer tbl.Release()
		// Store the Arrow schema as pyarrow (and so pandas) does: a reader
		// then gets dictionary columns back as dictionaries.
		props := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema())
		if err := pqarrow.WriteTable(tbl, out, 2, nil, props); err != nil {
			t.Fatal(err)
		}
	case "arrow-file":
		out := f("in.arrow")
		w, _ := ipc.NewFileWriter(out, ipc.WithSchema(rec.Schema()))
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		w.Close()
		out.Close()
	case "arrow-stream":
		out := f("in.arrows")
		w := ipc.NewWriter(out, ipc.WithSchema(rec.Schema()))
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		w.Close()
		out.Close()
	}
	return path
}

func TestIngestColumnar(t *testing.T) {
	for _, format := range []string{"parquet", "arrow-file", "arrow-stream"} {
		t.Run(format, func(t *testing.T) {
			rec := columnarFixture(t, []string{"first", "second", "<null>", "bad \xff", "fifth"})
			defer rec.Release()
			src := writeColumnar(t, format, rec)
			opt := IngestOptions{TextField: "body", IDField: "key"}
			_, err := Ingest(context.Background(), []string{src}, t.TempDir(), opt)
			if err == nil || !strings.Contains(err.Error(), src+": row 3: column \"body\": null value") {
				t.Fatalf("error %v", err)
			}
			opt.OnError = "skip"
			dst := t.TempDir()
			st, err := Ingest(context.Background(), []string{src}, dst, opt)
			if err != nil {
				t.Fatal(err)
			}
			if st.Rows != 3 || st.Skipped != 2 || !strings.Contains(st.Examples[1], "row 4: column \"body\": column 5: invalid UTF-8") {
				t.Fatalf("%+v", st)
			}
			d, rows := readRows(t, dst)
			if got := SchemaString(d.Schema()); got != "id: utf8, text: utf8, orig_text: utf8?, score: float64?" {
				t.Fatalf("schema %s", got)
			}
			want := []string{"100|first|origa|0", "in" + filepath.Ext(src) + ":2|second|origb|0.5", "104|fifth|orige|2"}
			for i, r := range rows {
				if got := r["id"] + "|" + r["text"] + "|" + r["orig_text"] + "|" + r["score"]; got != want[i] {
					t.Errorf("row %d: %s, want %s", i, got, want[i])
				}
			}
		})
	}
}

func TestIngestColumnarErrors(t *testing.T) {
	rec := columnarFixture(t, []string{"a"})
	defer rec.Release()
	src := writeColumnar(t, "parquet", rec)
	for name, tc := range map[string]struct {
		opt IngestOptions
		err string
	}{
		"missing text": {IngestOptions{TextField: "nope"}, `no column "nope" (columns: key, body, text, score)`},
		"text type":    {IngestOptions{TextField: "score"}, `column "score" is float64, want a string column`},
		"id type":      {IngestOptions{TextField: "body", IDField: "score"}, `column "score" is float64, want a string or integer column`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Ingest(context.Background(), []string{src}, t.TempDir(), tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
		})
	}
	garbage := filepath.Join(t.TempDir(), "x.parquet")
	os.WriteFile(garbage, []byte("PAR1 this is not parquet PAR1"), 0o644)
	if _, err := Ingest(context.Background(), []string{garbage}, t.TempDir(), IngestOptions{}); err == nil || !strings.Contains(err.Error(), garbage) {
		t.Fatalf("error %v", err)
	}
	garbage = filepath.Join(t.TempDir(), "x.arrow")
	os.WriteFile(garbage, []byte("ARROW1\x00\x00garbage"), 0o644)
	if _, err := Ingest(context.Background(), []string{garbage}, t.TempDir(), IngestOptions{}); err == nil || !strings.Contains(err.Error(), garbage) {
		t.Fatalf("error %v", err)
	}
}

// TestIngestCorruptColumnar ingests randomly corrupted Parquet and Arrow
// files, with and without dictionary columns: every outcome is rows or an
// error, never a panic or a crash.
func TestIngestCorruptColumnar(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 50
	}
	fixtures := map[string]struct {
		make  func(testing.TB) arrow.RecordBatch
		field string
	}{
		"plain": {func(t testing.TB) arrow.RecordBatch {
			return columnarFixture(t, []string{"first", "second", "third", "fourth", "fifth"})
		}, "body"},
		"dictionary": {dictFixture, "text"},
	}
	for name, fx := range fixtures {
		for _, format := range []string{"parquet", "arrow-file", "arrow-stream"} {
			t.Run(name+"/"+format, func(t *testing.T) {
				rec := fx.make(t)
				defer rec.Release()
				src := writeColumnar(t, format, rec)
				seed, _ := os.ReadFile(src)
				rng := rand.New(rand.NewPCG(3, 4))
				dir := t.TempDir()
				p := filepath.Join(dir, "m"+filepath.Ext(src))
				for it := 0; it < n; it++ {
					s := bytes.Clone(seed)
					for k := 0; k < 1+rng.IntN(4); k++ {
						s[rng.IntN(len(s))] = byte(rng.IntN(256))
					}
					if err := os.WriteFile(p, s, 0o644); err != nil {
						t.Fatal(err)
					}
					out := filepath.Join(dir, "out")
					os.RemoveAll(out)
					_, err := Ingest(context.Background(), []string{p}, out, IngestOptions{TextField: fx.field, OnError: "skip"})
					if err != nil && !strings.Contains(err.Error(), p) {
						t.Fatalf("error does not name the file: %v", err)
					}
				}
			})
		}
	}
}
