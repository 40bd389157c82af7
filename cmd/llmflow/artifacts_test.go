package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// writeCategoricalParquet writes a Parquet file as pandas does for a frame
// with a categorical column: the column dictionary-encoded, the Arrow
// schema stored in the file.
func writeCategoricalParquet(t *testing.T, path string) {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "text", Type: arrow.BinaryTypes.String},
		{Name: "source", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i, text := range []string{"Mail me at alice@example.com today.", "A second short note.", "A third one."} {
		b.Field(0).(*array.StringBuilder).Append(text)
		if err := b.Field(1).(*array.BinaryDictionaryBuilder).AppendString([]string{"forum", "wiki", "forum"}[i]); err != nil {
			t.Fatal(err)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	tbl := array.NewTableFromRecords(schema, []arrow.RecordBatch{rec})
	defer tbl.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := pqarrow.WriteTable(tbl, f, 64, nil, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema())); err != nil {
		t.Fatal(err)
	}
}

// TestArtifactsShowCategoricalParquet ingests a Parquet file with a
// dictionary-encoded column, runs the next node on it and shows the dataset.
func TestArtifactsShowCategoricalParquet(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	writeCategoricalParquet(t, filepath.Join(dir, "data", "docs.parquet"))
	hcl := `dataset "docs" { path = "data/docs.parquet" }
pii "docs" {
  input    = dataset.docs
  entities = ["email"]
}
`
	if err := os.WriteFile(filepath.Join(dir, "pipeline.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := llmflow(t, dir, "run", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res := llmflow(t, dir, "runs", "show", "latest")
	for node, email := range map[string]string{"dataset.docs": "alice@example.com", "pii.docs": "<EMAIL>"} {
		m := regexp.MustCompile(regexp.QuoteMeta(node) + `\.data\s+(sha256:[0-9a-f]{64})`).FindStringSubmatch(res.stdout)
		if m == nil {
			t.Fatalf("no %s output in:\n%s", node, res.stdout)
		}
		show := llmflow(t, dir, "artifacts", "show", m[1])
		if show.code != 0 {
			t.Fatalf("artifacts show %s: exit %d\n%s", node, show.code, show.stderr)
		}
		for _, want := range []string{"source: utf8?", `text: "A second short note."`, `source: "wiki"`, email} {
			if !strings.Contains(show.stdout, want) {
				t.Errorf("artifacts show %s lacks %q:\n%s", node, want, show.stdout)
			}
		}
	}
}
