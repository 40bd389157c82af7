package tokenize

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/stream"
)

// TestPackMatchesRun encodes the input in parts cut at arbitrary rows and
// packs them: rows, bytes and counters equal one run's.
func TestPackMatchesRun(t *testing.T) {
	var texts []string
	for i := range 300 {
		texts = append(texts, fmt.Sprintf("document %d reads %s", i, strings.Repeat("la ", i%23)))
		if i%31 == 0 {
			texts = append(texts, "")
		}
	}
	tok := testTokenizer(t, texts)
	for _, pack := range []bool{true, false} {
		cfg := DefaultConfig()
		cfg.BlockSize = 24
		cfg.ValFraction = 0.2
		cfg.Pack = pack
		cfg.DropLast = !pack
		cfg.Seed = 3
		whole := runTokenize(t, writeText(t, t.TempDir(), texts, 50), tok, cfg)
		for _, cuts := range [][]int{{0, len(texts)}, {0, 1, 2, 150, len(texts)}, {0, 77, 77, 200, 299, len(texts)}} {
			dir := t.TempDir()
			var trainDocs, valDocs []stream.Source
			var encoded Stats
			for k := range len(cuts) - 1 {
				part := writeTextFrom(t, filepath.Join(dir, fmt.Sprint("in", k)), texts[cuts[k]:cuts[k+1]], 50, cuts[k])
				tw := docsWriter(t, filepath.Join(dir, fmt.Sprint("train", k)))
				vw := docsWriter(t, filepath.Join(dir, fmt.Sprint("val", k)))
				st, err := Encode(context.Background(), part, tok, tw, vw, cfg, nil)
				if err != nil {
					t.Fatal(err)
				}
				encoded.Add(st)
				trainDocs = append(trainDocs, closeDocs(t, tw, filepath.Join(dir, fmt.Sprint("train", k))))
				valDocs = append(valDocs, closeDocs(t, vw, filepath.Join(dir, fmt.Sprint("val", k))))
			}
			tw, err := artifact.NewDatasetWriter(filepath.Join(dir, "train"), Schema())
			if err != nil {
				t.Fatal(err)
			}
			vw, err := artifact.NewDatasetWriter(filepath.Join(dir, "val"), Schema())
			if err != nil {
				t.Fatal(err)
			}
			st, err := Pack(context.Background(), trainDocs, valDocs, tok, tw, vw, cfg, encoded)
			if err != nil {
				t.Fatal(err)
			}
			if err := tw.Close(); err != nil {
				t.Fatal(err)
			}
			if err := vw.Close(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(st, whole.stats) {
				t.Errorf("pack=%v cuts %v: stats\n%+v\nwant\n%+v", pack, cuts, st, whole.stats)
			}
			for _, sub := range []string{"train", "val"} {
				if !bytes.Equal(readDir(t, filepath.Join(dir, sub)), readDir(t, filepath.Join(filepath.Dir(whole.train), sub))) {
					t.Errorf("pack=%v cuts %v: %s differs from one run's", pack, cuts, sub)
				}
			}
		}
	}
}

func docsWriter(t *testing.T, dir string) *artifact.DatasetWriter {
	t.Helper()
	w, err := artifact.NewDatasetWriter(dir, DocsSchema())
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func closeDocs(t *testing.T, w *artifact.DatasetWriter, dir string) *artifact.Dataset {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestPackRejectsForeignIDs: documents whose ids the tokenizer does not
// have are an error, not a panic.
func TestPackRejectsForeignIDs(t *testing.T) {
	tok := testTokenizer(t, sampleTexts)
	dir := t.TempDir()
	w := docsWriter(t, filepath.Join(dir, "docs"))
	b := array.NewListBuilder(memory.DefaultAllocator, arrow.PrimitiveTypes.Int32)
	b.Append(true)
	b.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{1, 2, 1 << 30}, nil)
	ids := b.NewArray()
	rec := array.NewRecordBatch(DocsSchema(), []arrow.Array{ids}, 1)
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	docs := closeDocs(t, w, filepath.Join(dir, "docs"))
	out, err := artifact.NewDatasetWriter(filepath.Join(dir, "train"), Schema())
	if err != nil {
		t.Fatal(err)
	}
	defer out.Abort()
	_, err = Pack(context.Background(), []stream.Source{docs}, nil, tok, out, nil, DefaultConfig(), Stats{})
	if err == nil || !strings.Contains(err.Error(), "part 0") || !strings.Contains(err.Error(), "outside the vocabulary") {
		t.Fatalf("err = %v, want the part and the foreign id named", err)
	}
}
