package artifact

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// dictFixture returns a batch whose "text" and "category" columns are
// dictionary-encoded strings, as pandas writes categoricals, with a null
// category.
func dictFixture(t testing.TB) arrow.RecordBatch {
	t.Helper()
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "text", Type: dictType, Nullable: true},
		{Name: "category", Type: dictType, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	texts := []string{"first doc", "second doc", "first doc"}
	cats := []string{"news", "", "blog"}
	for i := range texts {
		if err := b.Field(0).(*array.BinaryDictionaryBuilder).AppendString(texts[i]); err != nil {
			t.Fatal(err)
		}
		if cats[i] == "" {
			b.Field(1).AppendNull()
		} else if err := b.Field(1).(*array.BinaryDictionaryBuilder).AppendString(cats[i]); err != nil {
			t.Fatal(err)
		}
		b.Field(2).(*array.Int64Builder).Append(int64(i))
	}
	return b.NewRecordBatch()
}

// TestIngestDictionaryColumns ingests dictionary-encoded columns (a pandas
// categorical) from every columnar format: they are decoded to their value
// type, so the dataset reads back like any other.
func TestIngestDictionaryColumns(t *testing.T) {
	for _, format := range []string{"parquet", "arrow-file", "arrow-stream"} {
		t.Run(format, func(t *testing.T) {
			rec := dictFixture(t)
			defer rec.Release()
			src := writeColumnar(t, format, rec)
			dst := t.TempDir()
			st, err := Ingest(context.Background(), []string{src}, dst, IngestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if st.Rows != 3 {
				t.Fatalf("%+v", st)
			}
			d, rows := readRows(t, dst)
			if got, want := SchemaString(d.Schema()), "id: utf8, text: utf8, category: utf8?, n: int64?"; got != want {
				t.Fatalf("schema %s, want %s", got, want)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r["text"]+"|"+r["category"]+"|"+r["n"])
			}
			if want := "first doc|news|0,second doc|<null>|1,first doc|blog|2"; strings.Join(got, ",") != want {
				t.Fatalf("rows %s, want %s", strings.Join(got, ","), want)
			}
		})
	}
}

// TestDatasetRefusesDictionaries keeps dataset shards free of dictionaries:
// only ingest inputs may hold them.
func TestDatasetRefusesDictionaries(t *testing.T) {
	rec := dictFixture(t)
	defer rec.Release()
	src := writeColumnar(t, "arrow-file", rec)
	dir := filepath.Dir(src)
	if err := os.Rename(src, filepath.Join(dir, "part-00000.arrow")); err != nil {
		t.Fatal(err)
	}
	_, err := OpenDataset(dir)
	if err == nil || !strings.Contains(err.Error(), "dictionary-encoded columns are not supported") {
		t.Fatalf("error %v", err)
	}
}

// FuzzIngestArrow feeds arbitrary bytes, seeded with IPC files and streams
// holding dictionary columns, to the Arrow input reader of ingest
// (verification, arrow-go's readers, batch validation, dictionary
// decoding): it must return errors or valid batches, never crash or
// allocate without bound. A panic inside arrow-go counts as an error, as
// openColumnar recovers it.
func FuzzIngestArrow(f *testing.F) {
	for _, format := range []string{"arrow-file", "arrow-stream"} {
		for _, mk := range []func(testing.TB) arrow.RecordBatch{dictFixture, func(tb testing.TB) arrow.RecordBatch {
			return columnarFixture(tb, []string{"a", "b"})
		}} {
			rec := mk(f)
			src := writeColumnar(f, format, rec)
			rec.Release()
			b, err := os.ReadFile(src)
			if err != nil {
				f.Fatal(err)
			}
			flipped := bytes.Clone(b)
			flipped[len(flipped)/2] ^= 0x5a
			f.Add(b)
			f.Add(flipped)
			f.Add(b[:len(b)/2])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := func() (s *arrowSource, err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			return newArrowSource(bytes.NewReader(data), int64(len(data)))
		}()
		if err != nil {
			return
		}
		defer src.close()
		plain, err := decodedSchema(src.schema())
		if err != nil {
			return
		}
		for {
			rec, err := src.next()
			if err != nil {
				return
			}
			if validateBatch(rec, rec.Schema()) != nil {
				return
			}
			dec, err := decodeDictionaries(context.Background(), rec, plain)
			if err != nil {
				return
			}
			if err := validateBatch(dec, plain); err != nil {
				t.Fatalf("decoded batch is invalid: %v", err)
			}
			for _, c := range dec.Columns() {
				touchAll(c)
			}
			dec.Release()
		}
	})
}
