package preference

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/instruction"
	"github.com/llmflow/llmflow/dataprep/split"
)

// Stats counts what an ingest read and wrote.
type Stats struct {
	Files     int
	Rows      int64 // records mapped
	Pairs     int64 // pairs written, train and val
	ValRows   int64
	ValPairs  int64
	Skipped   int64
	Blank     int64
	MultiTurn int64 // records whose prompt has more than one user turn
	Identical int64 // ranked pairs dropped for equal answers
	// Rune counts summed over pairs, for the means.
	PromptChars, ChosenChars, RejectedChars int64
	Examples                                []string
}

// Metrics returns the counters and mean lengths (in characters; a
// prompt's is the sum over its turns) as a flat name -> value map.
func (s Stats) Metrics() map[string]float64 {
	mean := func(sum int64) float64 {
		if s.Pairs == 0 {
			return 0
		}
		return float64(sum) / float64(s.Pairs)
	}
	return map[string]float64{
		"files": float64(s.Files), "rows": float64(s.Rows), "pairs": float64(s.Pairs),
		"val_rows": float64(s.ValRows), "val_pairs": float64(s.ValPairs),
		"skipped": float64(s.Skipped), "blank": float64(s.Blank), "multi_turn": float64(s.MultiTurn),
		"identical_answers": float64(s.Identical), "mean_prompt_chars": mean(s.PromptChars),
		"mean_chosen_chars": mean(s.ChosenChars), "mean_rejected_chars": mean(s.RejectedChars),
	}
}

// Ingest maps the JSONL files at paths, in order, into preference pairs:
// a record goes with all its pairs to val when split.Held(seed, its Key,
// c.ValFraction), else to train. val may be nil when c.ValFraction is 0.
// The caller closes (or aborts) the writers. Blank lines are ignored.
func Ingest(ctx context.Context, paths []string, train, val *Writer, c Config, seed int64) (Stats, error) {
	in, err := newIngest(train, val, c, seed)
	if err != nil {
		return Stats{}, err
	}
	for _, p := range paths {
		in.st.Files++
		base := filepath.Base(p)
		blank, err := instruction.EachLine(ctx, p, func(lineNo int64, line []byte) error {
			rec, err := c.Map(line, fmt.Sprintf("%s:%d", base, lineNo))
			if err != nil {
				return in.bad(fmt.Sprintf("%s:%d", p, lineNo), err)
			}
			return in.append(rec)
		})
		in.st.Blank += blank
		if err != nil {
			return in.st, err
		}
	}
	return in.st, nil
}

// FromDataset maps the rows of a text dataset (as the dataset block writes
// it: id, text and the records' other fields as columns) like Ingest. The
// dataset's text_field is the column "text"; JSON-valued columns are read
// as the JSON they hold. Errors name the row by its id, which is
// "<file>:<line>" for records ingested without one.
func FromDataset(ctx context.Context, ds *artifact.Dataset, train, val *Writer, c Config, seed int64) (Stats, error) {
	in, err := newIngest(train, val, c, seed)
	if err != nil {
		return Stats{}, err
	}
	var row int64
	err = ds.Scan(ctx, func(batch arrow.RecordBatch) error {
		fields := batch.Schema().Fields()
		for i := 0; i < int(batch.NumRows()); i++ {
			row++
			r, _ := instruction.RowRecord(batch, fields, i)
			id := fmt.Sprintf("row %d", row)
			if raw, ok := r[artifact.ColID]; ok {
				_ = json.Unmarshal(raw, &id)
			}
			rec, err := c.MapRecord(r, id)
			if err != nil {
				if err := in.bad(fmt.Sprintf("row %d (id %s)", row, id), err); err != nil {
					return err
				}
				continue
			}
			if err := in.append(rec); err != nil {
				return err
			}
		}
		return nil
	})
	return in.st, err
}

type ingest struct {
	c          Config
	seed       int64
	train, val *Writer
	st         Stats
}

func newIngest(train, val *Writer, c Config, seed int64) (*ingest, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if train == nil || (val == nil && c.ValFraction > 0) {
		return nil, fmt.Errorf("preference ingest needs a train writer, and a val writer when val_fraction > 0; this is a bug in llmflow")
	}
	return &ingest{c: c, seed: seed, train: train, val: val}, nil
}

// bad handles a bad record at where: an error, or with on_error "skip" a
// count and an example.
func (in *ingest) bad(where string, err error) error {
	return instruction.HandleBad(in.c.OnError, where, err, &in.st.Skipped, &in.st.Examples)
}

func (in *ingest) append(rec Record) error {
	s := &in.st
	w := in.train
	held := in.val != nil && split.Held(in.seed, rec.Key, in.c.ValFraction)
	if held {
		w = in.val
		s.ValRows++
		s.ValPairs += int64(len(rec.Pairs))
	}
	s.Rows++
	s.Identical += int64(rec.Identical)
	if userTurns(rec.Prompt) > 1 {
		s.MultiTurn++
	}
	for _, p := range rec.Pairs {
		if err := w.Append(p); err != nil {
			return err
		}
		s.Pairs++
		for _, m := range p.Prompt {
			s.PromptChars += int64(utf8.RuneCountInString(m.Content))
		}
		s.ChosenChars += int64(utf8.RuneCountInString(p.Chosen))
		s.RejectedChars += int64(utf8.RuneCountInString(p.Rejected))
	}
	return nil
}

func userTurns(msgs []chat.Message) int {
	n := 0
	for _, m := range msgs {
		if m.Role == chat.RoleUser {
			n++
		}
	}
	return n
}
