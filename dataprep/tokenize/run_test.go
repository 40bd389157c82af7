package tokenize

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
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

// writeText writes a text dataset with ids "doc-N"; batch sets the rows per
// record batch.
func writeText(t testing.TB, dir string, texts []string, batch int) *artifact.Dataset {
	t.Helper()
	return writeTextFrom(t, dir, texts, batch, 0)
}

// writeTextFrom is writeText with ids numbered from first.
func writeTextFrom(t testing.TB, dir string, texts []string, batch, first int) *artifact.Dataset {
	t.Helper()
	w, err := artifact.NewDatasetWriter(dir, artifact.TextSchema())
	if err != nil {
		t.Fatal(err)
	}
	for lo := 0; lo < len(texts); lo += batch {
		hi := min(lo+batch, len(texts))
		ib := array.NewStringBuilder(memory.DefaultAllocator)
		tb := array.NewStringBuilder(memory.DefaultAllocator)
		for i := lo; i < hi; i++ {
			ib.Append(fmt.Sprintf("doc-%d", first+i))
			tb.Append(texts[i])
		}
		ia, ta := ib.NewArray(), tb.NewArray()
		rec := array.NewRecordBatch(artifact.TextSchema(), []arrow.Array{ia, ta}, int64(hi-lo))
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
		ia.Release()
		ta.Release()
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

type row struct{ ids, starts []int32 }

func readRows(t testing.TB, dir string) []row {
	t.Helper()
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	var rows []row
	err = ds.Scan(context.Background(), func(rec arrow.RecordBatch) error {
		ids := rec.Column(0).(*array.List)
		starts := rec.Column(1).(*array.List)
		iv := ids.ListValues().(*array.Int32).Int32Values()
		sv := starts.ListValues().(*array.Int32).Int32Values()
		for i := 0; i < ids.Len(); i++ {
			a, b := ids.ValueOffsets(i)
			c, d := starts.ValueOffsets(i)
			rows = append(rows, row{slices.Clone(iv[a:b]), slices.Clone(sv[c:d])})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func testTokenizer(t testing.TB, texts []string) *tokenizer.Tokenizer {
	t.Helper()
	cfg := tokenizer.DefaultConfig()
	cfg.VocabSize = 400
	var docs [][]byte
	for _, s := range texts {
		docs = append(docs, []byte(s))
	}
	tok, err := tokenizer.Train(context.Background(), docs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var sampleTexts = []string{
	"The quick brown fox jumps over the lazy dog.",
	"孙悟空和猪八戒走在路上。",
	"",
	"Short.",
	strings.Repeat("A much longer document that spans several rows of the output. ", 5),
	"Emoji 😀 and tabs\tsurvive too.",
	"Last one",
}

type runOut struct {
	stats      Stats
	train, val string
}

func runTokenize(t testing.TB, ds *artifact.Dataset, tok *tokenizer.Tokenizer, cfg Config) runOut {
	t.Helper()
	dir := t.TempDir()
	o := runOut{train: filepath.Join(dir, "train"), val: filepath.Join(dir, "val")}
	tw, err := artifact.NewDatasetWriter(o.train, Schema())
	if err != nil {
		t.Fatal(err)
	}
	vw, err := artifact.NewDatasetWriter(o.val, Schema())
	if err != nil {
		t.Fatal(err)
	}
	o.stats, err = Run(context.Background(), ds, tok, tw, vw, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := vw.Close(); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestPackedRows checks the nanoGPT layout: rows of block+1 tokens
// overlapping by one, the stream equal to every document followed by EOT, and
// doc_starts pointing at each document's first token.
func TestPackedRows(t *testing.T) {
	tok := testTokenizer(t, sampleTexts)
	ds := writeText(t, t.TempDir(), sampleTexts, 3)
	cfg := DefaultConfig()
	cfg.BlockSize = 8
	cfg.ValFraction = 0
	out := runTokenize(t, ds, tok, cfg)
	rows := readRows(t, out.train)
	eot, _ := tok.SpecialID("<|endoftext|>")
	var want []int32
	var wantStarts []int
	for _, s := range sampleTexts {
		if s == "" {
			continue
		}
		wantStarts = append(wantStarts, len(want))
		want = append(want, tok.Encode([]byte(s))...)
		want = append(want, eot)
	}
	var stream []int32
	var starts []int
	for i, r := range rows {
		if i < len(rows)-1 && len(r.ids) != cfg.BlockSize+1 {
			t.Fatalf("row %d has %d tokens, want %d", i, len(r.ids), cfg.BlockSize+1)
		}
		base := i * cfg.BlockSize
		for _, s := range r.starts {
			if int(s) != cfg.BlockSize || i == len(rows)-1 { // a start at the overlap shows in both rows
				starts = append(starts, base+int(s))
			}
		}
		if i == 0 {
			stream = append(stream, r.ids...)
		} else {
			if r.ids[0] != stream[len(stream)-1] {
				t.Fatalf("row %d does not start with the previous row's last token", i)
			}
			stream = append(stream, r.ids[1:]...)
		}
	}
	if !slices.Equal(stream, want) {
		t.Fatalf("token stream differs:\n got %v\nwant %v", stream, want)
	}
	starts = slices.Compact(starts)
	if !slices.Equal(starts, wantStarts) {
		t.Fatalf("doc starts %v, want %v", starts, wantStarts)
	}
	if out.stats.EmptyDocs != 1 || out.stats.TrainDocs != 6 || out.stats.Docs != 7 {
		t.Errorf("stats %+v", out.stats)
	}
	if got := readRows(t, out.val); len(got) != 0 {
		t.Errorf("val has %d rows with val_fraction 0", len(got))
	}
}

func TestUnpackedRows(t *testing.T) {
	tok := testTokenizer(t, sampleTexts)
	ds := writeText(t, t.TempDir(), sampleTexts, 2)
	cfg := DefaultConfig()
	cfg.BlockSize = 16
	cfg.Pack = false
	cfg.ValFraction = 0
	rows := readRows(t, runTokenize(t, ds, tok, cfg).train)
	var docs [][]byte
	var cur []int32
	for _, r := range rows {
		if len(r.starts) > 0 {
			if !slices.Equal(r.starts, []int32{0}) {
				t.Fatalf("unpacked row starts %v", r.starts)
			}
			if cur != nil {
				b, _ := tok.Decode(cur)
				docs = append(docs, b)
			}
			cur = slices.Clone(r.ids)
		} else {
			cur = append(cur, r.ids[1:]...)
		}
	}
	b, _ := tok.Decode(cur)
	docs = append(docs, b)
	var want [][]byte
	for _, s := range sampleTexts {
		if s != "" {
			want = append(want, []byte(s+"<|endoftext|>"))
		}
	}
	if len(docs) != len(want) {
		t.Fatalf("%d documents, want %d", len(docs), len(want))
	}
	for i := range docs {
		if !bytes.Equal(docs[i], want[i]) {
			t.Errorf("doc %d: %q, want %q", i, docs[i], want[i])
		}
	}
}

// TestSplitDeterministic checks that the split follows the seeded id hash
// and that outputs are byte-identical whatever the number of workers.
func TestSplitDeterministic(t *testing.T) {
	var texts []string
	for i := 0; i < 400; i++ {
		texts = append(texts, fmt.Sprintf("document number %d says %s", i, strings.Repeat("la ", i%17)))
	}
	tok := testTokenizer(t, texts)
	ds := writeText(t, t.TempDir(), texts, 64)
	cfg := DefaultConfig()
	cfg.BlockSize = 32
	cfg.ValFraction = 0.25
	cfg.Seed = 7
	var first runOut
	for i, w := range []int{1, 3, 8} {
		cfg.Workers = w
		out := runTokenize(t, ds, tok, cfg)
		if out.stats.ValDocs < 60 || out.stats.ValDocs > 140 {
			t.Errorf("%d validation documents of 400 at fraction 0.25", out.stats.ValDocs)
		}
		if i == 0 {
			first = out
			continue
		}
		for _, sub := range []string{"train", "val"} {
			a := readDir(t, filepath.Join(filepath.Dir(first.train), sub))
			b := readDir(t, filepath.Join(filepath.Dir(out.train), sub))
			if !bytes.Equal(a, b) {
				t.Errorf("%s differs between 1 and %d workers", sub, w)
			}
		}
	}
	cfg.Seed = 8
	other := runTokenize(t, ds, tok, cfg)
	if other.stats.ValDocs == first.stats.ValDocs && bytes.Equal(readDir(t, other.val), readDir(t, first.val)) {
		t.Error("another seed gave the same split")
	}
}

// readDir concatenates the files of a dataset directory in name order.
func readDir(t testing.TB, dir string) []byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestTrainFromDataset(t *testing.T) {
	ds := writeText(t, t.TempDir(), sampleTexts, 2)
	cfg := tokenizer.DefaultConfig()
	cfg.VocabSize = 300
	cfg.MinFrequency = 1
	tok, st, err := TrainFromDataset(context.Background(), ds, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 300 || st.Docs != int64(len(sampleTexts)) {
		t.Fatalf("vocab %d docs %d", tok.VocabSize(), st.Docs)
	}
	path := filepath.Join(t.TempDir(), tokenizer.FileName)
	if err := tok.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := tokenizer.Load(path); err != nil {
		t.Fatal(err)
	}
}

func TestRunErrors(t *testing.T) {
	tok := testTokenizer(t, sampleTexts)
	ds := writeText(t, t.TempDir(), sampleTexts, 4)
	w, _ := artifact.NewDatasetWriter(filepath.Join(t.TempDir(), "x"), Schema())
	for name, mod := range map[string]func(*Config){
		"block size":   func(c *Config) { c.BlockSize = 0 },
		"val fraction": func(c *Config) { c.ValFraction = 1 },
		"eot token":    func(c *Config) { c.EOTToken = "<|nope|>" },
		"field":        func(c *Config) { c.Field = "body" },
	} {
		cfg := DefaultConfig()
		mod(&cfg)
		if _, err := Run(context.Background(), ds, tok, w, w, cfg, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestMeta(t *testing.T) {
	tok := testTokenizer(t, sampleTexts)
	cfg := DefaultConfig()
	m := Meta(tok, cfg)
	if m["row_tokens"] != "1025" || m["eot_id"] != "0" || m["vocab_size"] != fmt.Sprint(tok.VocabSize()) {
		t.Errorf("meta %v", m)
	}
}
