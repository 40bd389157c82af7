package tokenize

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/split"
	"github.com/llmflow/llmflow/dataprep/stream"
	"github.com/llmflow/llmflow/dataprep/textutil"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

// Reporter receives progress and metrics; the pipeline engine satisfies it.
type Reporter interface {
	Progress(done, total int64, unit string)
	Metric(name string, step int64, value float64)
}

// Input is what Run and Encode read: a whole *artifact.Dataset, or a part
// of one.
type Input interface {
	stream.Source
	Rows() int64 // for progress
	Dir() string // for messages
}

// docSink takes a split's documents in order: a packer, or a docWriter
// when the packing comes later.
type docSink interface {
	addDoc(toks []int32, eot int32) error
}

// Run tokenizes the text dataset in with tok and writes the packed rows of
// the training documents to trainOut and of the validation documents to
// valOut (which may be nil when cfg.ValFraction is 0). Both writers must use
// Schema(); Run flushes but does not close them. Documents are encoded on
// cfg.Workers goroutines; rows follow input order, so the output does not
// depend on the number of workers. rep may be nil.
func Run(ctx context.Context, in Input, tok *tokenizer.Tokenizer, trainOut, valOut *artifact.DatasetWriter, cfg Config, rep Reporter) (Stats, error) {
	eot, err := check(in, tok, trainOut, valOut, cfg)
	if err != nil {
		return Stats{}, err
	}
	r := newRunner(tok, cfg)
	train := newPacker(trainOut, cfg)
	defer train.release()
	var val *packer
	var valSink docSink
	if valOut != nil {
		val = newPacker(valOut, cfg)
		defer val.release()
		valSink = val
	}
	err = r.scan(ctx, in, eot, train, valSink, rep)
	if err == nil {
		err = train.close()
	}
	if err == nil && val != nil {
		err = val.close()
	}
	return r.finish(train, val), err
}

// scan encodes in's documents and hands each to its split's sink.
func (r *runner) scan(ctx context.Context, in Input, eot int32, train, val docSink, rep Reporter) error {
	cfg := r.cfg
	total := in.Rows()
	return in.Scan(ctx, func(rec arrow.RecordBatch) error {
		texts, ids, err := columns(rec, cfg)
		if err != nil {
			return fmt.Errorf("tokenize: dataset %s: %w", in.Dir(), err)
		}
		r.encode(texts)
		for i, text := range texts {
			if err := r.add(i, text, ids, eot, train, val); err != nil {
				return err
			}
		}
		if rep != nil {
			rep.Progress(r.stats.Docs, total, "docs")
			rep.Metric("tokens", r.stats.Docs, float64(r.stats.Tokens))
		}
		return ctx.Err()
	})
}

// runner holds the per-run state shared by the record batches.
type runner struct {
	tok    *tokenizer.Tokenizer
	cfg    Config
	encs   []*tokenizer.Encoder
	toks   [][]int32
	langs  []textutil.Lang
	seen   []bool
	perDoc []int64
	stats  Stats
}

func newRunner(tok *tokenizer.Tokenizer, cfg Config) *runner {
	w := cfg.Workers
	if w == 0 {
		w = runtime.GOMAXPROCS(0)
	}
	r := &runner{tok: tok, cfg: cfg, seen: make([]bool, tok.VocabSize())}
	for range w {
		r.encs = append(r.encs, tok.NewEncoder())
	}
	r.stats.LangBytes = map[string]int64{}
	r.stats.LangTokens = map[string]int64{}
	return r
}

// encode tokenizes texts in parallel into r.toks, and guesses each language.
func (r *runner) encode(texts []string) {
	for len(r.toks) < len(texts) {
		r.toks = append(r.toks, nil)
	}
	r.langs = append(r.langs[:0], make([]textutil.Lang, len(texts))...)
	var wg sync.WaitGroup
	var next sync.Mutex
	i := 0
	// Small chunks taken in turn balance long and short documents.
	const chunk = 16
	for _, e := range r.encs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				lo := i
				i += chunk
				next.Unlock()
				if lo >= len(texts) {
					return
				}
				for j := lo; j < min(lo+chunk, len(texts)); j++ {
					r.toks[j] = e.EncodeString(r.toks[j][:0], texts[j])
					r.langs[j] = textutil.DetectLang(texts[j])
				}
			}
		}()
	}
	wg.Wait()
}

// add routes document i to its split and counts it.
func (r *runner) add(i int, text string, ids []string, eot int32, train, val docSink) error {
	s := &r.stats
	s.Docs++
	toks := r.toks[i]
	if len(toks) == 0 {
		s.EmptyDocs++
		return nil
	}
	key := text
	if ids != nil && ids[i] != "" {
		key = ids[i]
	}
	p := train
	if val != nil && split.Held(r.cfg.Seed, key, r.cfg.ValFraction) {
		p = val
		s.ValDocs++
	} else {
		s.TrainDocs++
	}
	s.Bytes += int64(len(text))
	s.Tokens += int64(len(toks))
	lang := r.langs[i].String()
	s.LangBytes[lang] += int64(len(text))
	s.LangTokens[lang] += int64(len(toks))
	r.count(toks, eot)
	return p.addDoc(toks, eot)
}

// count notes a document's length and the ids it uses.
func (r *runner) count(toks []int32, eot int32) {
	r.perDoc = append(r.perDoc, int64(len(toks)))
	for _, t := range toks {
		r.seen[t] = true
	}
	r.seen[eot] = true
}

func (r *runner) finish(train, val *packer) Stats {
	s := r.stats
	s.TrainRows, s.TrainTokens, s.DroppedTokens = train.rows, train.tokens, train.dropped
	if val != nil {
		s.ValRows, s.ValTokens = val.rows, val.tokens
		s.DroppedTokens += val.dropped
	}
	for _, b := range r.seen {
		if b {
			s.VocabUsed++
		}
	}
	s.VocabSize = int64(len(r.seen))
	s.percentiles(r.perDoc)
	return s
}

// columns returns the text column and, when present, the id column of rec
// as strings; null texts are empty.
func columns(rec arrow.RecordBatch, cfg Config) (texts, ids []string, err error) {
	texts, err = stringColumn(rec, cfg.Field)
	if err != nil {
		return nil, nil, err
	}
	if cfg.IDField != "" && len(rec.Schema().FieldIndices(cfg.IDField)) > 0 {
		if ids, err = stringColumn(rec, cfg.IDField); err != nil {
			return nil, nil, err
		}
	}
	return texts, ids, nil
}

func stringColumn(rec arrow.RecordBatch, name string) ([]string, error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil, fmt.Errorf("no column %q", name)
	}
	col := rec.Column(idx[0])
	out := make([]string, col.Len())
	switch a := col.(type) {
	case *array.String:
		for i := range out {
			if a.IsValid(i) {
				out[i] = a.Value(i)
			}
		}
	case *array.LargeString:
		for i := range out {
			if a.IsValid(i) {
				out[i] = a.Value(i)
			}
		}
	default:
		return nil, fmt.Errorf("column %q is %s, want utf8", name, col.DataType())
	}
	return out, nil
}
