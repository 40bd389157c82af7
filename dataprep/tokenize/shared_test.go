package tokenize

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/split"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

// TestSharedDataEndToEnd ingests the shared English and Chinese texts (one
// document per paragraph), trains a tokenizer on them, tokenizes them with a
// validation split, and checks that the rows of both splits decode back to
// every document in order.
func TestSharedDataEndToEnd(t *testing.T) {
	root := sharedData(t)
	ctx := context.Background()
	dir := t.TempDir()
	paths := []string{filepath.Join(root, "pretrain-en", "tinyshakespeare.txt"), filepath.Join(root, "pretrain-zh", "xiyouji.txt")}
	if _, err := artifact.Ingest(ctx, paths, filepath.Join(dir, "text"), artifact.IngestOptions{Format: "text", TextMode: "paragraph"}); err != nil {
		t.Fatal(err)
	}
	ds, err := artifact.OpenDataset(filepath.Join(dir, "text"))
	if err != nil {
		t.Fatal(err)
	}
	tcfg := tokenizer.DefaultConfig()
	tcfg.VocabSize = 2048
	tok, _, err := TrainFromDataset(ctx, ds, tcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.BlockSize = 256
	cfg.ValFraction = 0.05
	out := runTokenize(t, ds, tok, cfg)
	st := out.stats
	if st.ValDocs == 0 || st.TrainDocs == 0 || st.LangTokens["en"] == 0 || st.LangTokens["zh"] == 0 {
		t.Fatalf("stats %+v", st)
	}
	// Rebuild each split's document list in input order.
	var train, val []string
	err = ds.Scan(ctx, func(rec arrow.RecordBatch) error {
		texts, ids, err := columns(rec, cfg)
		if err != nil {
			return err
		}
		for i, s := range texts {
			if s == "" {
				continue
			}
			if split.Held(cfg.Seed, ids[i], cfg.ValFraction) {
				val = append(val, s)
			} else {
				train = append(train, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir  string
		docs []string
	}{{out.train, train}, {out.val, val}} {
		got := decodeStream(t, tok, c.dir)
		want := strings.Join(c.docs, "<|endoftext|>") + "<|endoftext|>"
		if got != want {
			t.Errorf("%s: decoded rows differ from the documents (%d vs %d bytes)", c.dir, len(got), len(want))
		}
	}
}

// decodeStream decodes a packed split, dropping the overlap token of each
// row after the first.
func decodeStream(t *testing.T, tok *tokenizer.Tokenizer, dir string) string {
	t.Helper()
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int32
	first := true
	err = ds.Scan(context.Background(), func(rec arrow.RecordBatch) error {
		l := rec.Column(0).(*array.List)
		v := l.ListValues().(*array.Int32).Int32Values()
		for i := 0; i < l.Len(); i++ {
			a, b := l.ValueOffsets(i)
			if !first {
				a++
			}
			first = false
			ids = append(ids, v[a:b]...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tok.Decode(ids)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
