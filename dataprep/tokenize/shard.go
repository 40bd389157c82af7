package tokenize

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/stream"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

// A sharded run splits Run in two: Encode turns each part of the input
// into its documents' token ids, per split, and Pack reads the parts'
// documents in order and packs them as Run would. Rows cross document
// and part boundaries alike, so the packing, and with it the output
// bytes, do not depend on how the input was cut.

// DocsSchema is the schema of the documents Encode writes: one row of
// token ids per non-empty document, without the end-of-text token.
func DocsSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{{Name: "input_ids", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32)}}, nil)
}

// Encode tokenizes in and writes each non-empty document's ids to
// trainDocs or valDocs (DocsSchema; valDocs may be nil when
// cfg.ValFraction is 0), flushed but not closed. The Stats it returns
// count the input; Pack fills in the rest.
func Encode(ctx context.Context, in Input, tok *tokenizer.Tokenizer, trainDocs, valDocs *artifact.DatasetWriter, cfg Config, rep Reporter) (Stats, error) {
	eot, err := check(in, tok, trainDocs, valDocs, cfg)
	if err != nil {
		return Stats{}, err
	}
	r := newRunner(tok, cfg)
	train := newDocWriter(trainDocs)
	defer train.release()
	var val *docWriter
	var valSink docSink
	if valDocs != nil {
		val = newDocWriter(valDocs)
		defer val.release()
		valSink = val
	}
	if err := r.scan(ctx, in, eot, train, valSink, rep); err != nil {
		return Stats{}, err
	}
	if err := train.flush(); err != nil {
		return Stats{}, err
	}
	if val != nil {
		if err := val.flush(); err != nil {
			return Stats{}, err
		}
	}
	s := r.stats
	s.perDocOnly()
	return s, nil
}

// Pack packs the documents Encode wrote, the parts of each split in
// order, into trainOut and valOut, and returns the whole run's Stats:
// encoded holds the summed counters of the Encode calls.
func Pack(ctx context.Context, trainDocs, valDocs []stream.Source, tok *tokenizer.Tokenizer, trainOut, valOut *artifact.DatasetWriter, cfg Config, encoded Stats) (Stats, error) {
	if err := cfg.Validate(); err != nil {
		return Stats{}, fmt.Errorf("tokenize: %w", err)
	}
	if tok == nil || trainOut == nil || (valOut == nil && len(valDocs) > 0) {
		return Stats{}, errors.New("tokenize: missing tokenizer or output writer")
	}
	eot, err := eotID(tok, cfg)
	if err != nil {
		return Stats{}, err
	}
	r := newRunner(tok, cfg)
	r.stats = encoded
	train := newPacker(trainOut, cfg)
	defer train.release()
	if err := r.pack(ctx, trainDocs, eot, train); err != nil {
		return Stats{}, err
	}
	var val *packer
	if valOut != nil {
		val = newPacker(valOut, cfg)
		defer val.release()
		if err := r.pack(ctx, valDocs, eot, val); err != nil {
			return Stats{}, err
		}
		if err := val.close(); err != nil {
			return Stats{}, err
		}
	}
	if err := train.close(); err != nil {
		return Stats{}, err
	}
	return r.finish(train, val), nil
}

// pack feeds the documents of parts, in order, to p.
func (r *runner) pack(ctx context.Context, parts []stream.Source, eot int32, p *packer) error {
	for i, part := range parts {
		err := part.Scan(ctx, func(rec arrow.RecordBatch) error {
			if rec.NumCols() != 1 {
				return fmt.Errorf("%d columns, want input_ids", rec.NumCols())
			}
			docs, ok := rec.Column(0).(*array.List)
			if !ok {
				return fmt.Errorf("input_ids is %s, want list<int32>", rec.Column(0).DataType())
			}
			vals, ok := docs.ListValues().(*array.Int32)
			if !ok {
				return fmt.Errorf("input_ids is %s, want list<int32>", rec.Column(0).DataType())
			}
			ids := vals.Int32Values()
			vocab := int32(len(r.seen))
			for d := range docs.Len() {
				from, to := docs.ValueOffsets(d)
				toks := ids[from:to]
				for _, t := range toks {
					if t < 0 || t >= vocab {
						return fmt.Errorf("token id %d outside the vocabulary of %d", t, vocab)
					}
				}
				r.count(toks, eot)
				if err := p.addDoc(toks, eot); err != nil {
					return err
				}
			}
			return ctx.Err()
		})
		if err != nil {
			return fmt.Errorf("tokenize: documents of part %d: %w", i, err)
		}
	}
	return nil
}

// check validates Run's and Encode's arguments and returns the end-of-text id.
func check(in Input, tok *tokenizer.Tokenizer, trainOut, valOut *artifact.DatasetWriter, cfg Config) (int32, error) {
	if err := cfg.Validate(); err != nil {
		return 0, fmt.Errorf("tokenize: %w", err)
	}
	if in == nil || tok == nil {
		return 0, errors.New("tokenize: missing input dataset or tokenizer")
	}
	if trainOut == nil || (valOut == nil && cfg.ValFraction > 0) {
		return 0, errors.New("tokenize: missing output writer")
	}
	return eotID(tok, cfg)
}

func eotID(tok *tokenizer.Tokenizer, cfg Config) (int32, error) {
	eot, ok := tok.SpecialID(cfg.EOTToken)
	if !ok {
		return 0, fmt.Errorf("tokenize: eot_token: the tokenizer has no added token %q", cfg.EOTToken)
	}
	return eot, nil
}

// Add sums the input counters of b, as Encode returns them, into s.
func (s *Stats) Add(b Stats) {
	s.Docs += b.Docs
	s.EmptyDocs += b.EmptyDocs
	s.TrainDocs += b.TrainDocs
	s.ValDocs += b.ValDocs
	s.Bytes += b.Bytes
	s.Tokens += b.Tokens
	for _, m := range []*map[string]int64{&s.LangBytes, &s.LangTokens} {
		if *m == nil {
			*m = map[string]int64{}
		}
	}
	for k, v := range b.LangBytes {
		s.LangBytes[k] += v
	}
	for k, v := range b.LangTokens {
		s.LangTokens[k] += v
	}
}

// perDocOnly clears what Pack computes from all the documents.
func (s *Stats) perDocOnly() {
	s.TrainRows, s.ValRows, s.TrainTokens, s.ValTokens, s.DroppedTokens = 0, 0, 0, 0, 0
	s.MaxDocTokens, s.DocTokensP50, s.DocTokensP90, s.DocTokensP99 = 0, 0, 0, 0
	s.VocabUsed, s.VocabSize = 0, 0
}

// docWriter writes one row of ids per document.
type docWriter struct {
	w                *artifact.DatasetWriter
	ids              *array.ListBuilder
	vals             *array.Int32Builder
	pendRows, pendTk int
}

func newDocWriter(w *artifact.DatasetWriter) *docWriter {
	d := &docWriter{w: w, ids: array.NewListBuilder(memory.DefaultAllocator, arrow.PrimitiveTypes.Int32)}
	d.vals = d.ids.ValueBuilder().(*array.Int32Builder)
	return d
}

func (d *docWriter) addDoc(toks []int32, _ int32) error {
	d.ids.Append(true)
	d.vals.AppendValues(toks, nil)
	d.pendRows++
	d.pendTk += len(toks)
	if d.pendRows >= flushRows || d.pendTk >= flushTokens {
		return d.flush()
	}
	return nil
}

func (d *docWriter) flush() error {
	if d.pendRows == 0 {
		return nil
	}
	ids := d.ids.NewArray()
	defer ids.Release()
	rec := array.NewRecordBatch(DocsSchema(), []arrow.Array{ids}, int64(d.pendRows))
	defer rec.Release()
	d.pendRows, d.pendTk = 0, 0
	return d.w.Write(rec)
}

func (d *docWriter) release() { d.ids.Release() }
