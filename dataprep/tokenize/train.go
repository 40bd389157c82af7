package tokenize

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

// TrainStats describes a tokenizer training run.
type TrainStats struct {
	Docs      int64 // documents counted
	Bytes     int64 // text bytes counted
	VocabSize int64 // ids in the trained tokenizer
	Merges    int64 // learned merges
}

// Metrics flattens the counters for the run store.
func (s TrainStats) Metrics() map[string]float64 {
	return map[string]float64{
		"docs":       float64(s.Docs),
		"bytes":      float64(s.Bytes),
		"vocab_size": float64(s.VocabSize),
		"merges":     float64(s.Merges),
	}
}

var errFull = errors.New("enough text")

// TrainFromDataset trains a tokenizer on the "text" column of in (the first
// cfg.MaxBytes bytes when set). The node writes the result with
// tok.Save(filepath.Join(dir, tokenizer.FileName)). rep may be nil.
func TrainFromDataset(ctx context.Context, in *artifact.Dataset, cfg tokenizer.Config, rep Reporter) (*tokenizer.Tokenizer, TrainStats, error) {
	if in == nil {
		return nil, TrainStats{}, errors.New("tokenizer: missing input dataset")
	}
	tr, err := tokenizer.NewTrainer(cfg)
	if err != nil {
		return nil, TrainStats{}, fmt.Errorf("tokenizer: %w", err)
	}
	var st TrainStats
	total := in.Rows()
	var docs [][]byte
	err = in.Scan(ctx, func(rec arrow.RecordBatch) error {
		texts, err := stringColumn(rec, artifact.ColText)
		if err != nil {
			return fmt.Errorf("tokenizer: dataset %s: %w", in.Dir(), err)
		}
		docs = docs[:0]
		for _, t := range texts {
			// Add counts before returning, so viewing the batch's bytes
			// without a copy is safe.
			docs = append(docs, unsafe.Slice(unsafe.StringData(t), len(t)))
		}
		tr.Add(docs)
		st.Docs += int64(len(texts))
		if rep != nil {
			rep.Progress(st.Docs, total, "docs")
		}
		if tr.Full() {
			return errFull
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFull) {
		return nil, st, err
	}
	st.Bytes = tr.Bytes()
	if rep != nil {
		tr.OnProgress(func(done, target int) { rep.Progress(int64(done), int64(target), "merges") })
	}
	tok, err := tr.Train(ctx)
	if err != nil {
		return nil, st, fmt.Errorf("tokenizer: %w", err)
	}
	st.VocabSize = int64(tok.VocabSize())
	st.Merges = int64(len(tok.Merges()))
	if rep != nil {
		rep.Metric("vocab_size", 0, float64(st.VocabSize))
	}
	return tok, st, nil
}
