package pii

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/llmflow/llmflow/artifact"
)

// Reporter receives progress and metrics; the pipeline engine satisfies it.
type Reporter interface {
	Progress(done, total int64, unit string)
	Metric(name string, step int64, value float64)
}

// Run copies in to out with the text column scrubbed and every other column
// intact, in input order. Rows of a record batch are scrubbed on
// cfg.Workers goroutines; the output does not depend on their number.
// rep may be nil.
func Run(ctx context.Context, in *artifact.Dataset, out *artifact.DatasetWriter, cfg Config, rep Reporter) (Stats, error) {
	p, err := New(cfg)
	if err != nil {
		return Stats{}, err
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var st Stats
	total := in.Rows()
	var texts, outs []string
	var counts []Counts
	err = in.Scan(ctx, func(rec arrow.RecordBatch) error {
		col, err := textIndex(rec.Schema(), cfg.Field)
		if err != nil {
			return fmt.Errorf("pii: dataset %s: %w", in.Dir(), err)
		}
		texts = appendTexts(rec.Column(col), texts[:0])
		n := len(texts)
		outs = append(outs[:0], make([]string, n)...)
		counts = append(counts[:0], make([]Counts, n)...)
		p.scrubAll(texts, outs, counts, workers)
		changed := false
		for i := range n {
			st.add(len(texts[i]), counts[i])
			changed = changed || counts[i].Total() > 0 || outs[i] != texts[i]
		}
		if err := writeScrubbed(out, rec, col, outs, changed); err != nil {
			return err
		}
		if rep != nil {
			rep.Progress(st.Docs, total, "docs")
			rep.Metric("found", st.Docs, float64(st.Found.Total()))
		}
		return nil
	})
	return st, err
}

// scrubAll scrubs texts[i] into outs[i] on up to workers goroutines.
func (p *Scrubber) scrubAll(texts, outs []string, counts []Counts, workers int) {
	const chunk = 32
	if workers == 1 || len(texts) <= chunk {
		for i, t := range texts {
			outs[i], counts[i] = p.Scrub(t)
		}
		return
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	for range min(workers, (len(texts)+chunk-1)/chunk) {
		wg.Go(func() {
			for {
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= len(texts) {
					return
				}
				for i := lo; i < min(lo+chunk, len(texts)); i++ {
					outs[i], counts[i] = p.Scrub(texts[i])
				}
			}
		})
	}
	wg.Wait()
}

func textIndex(s *arrow.Schema, name string) (int, error) {
	idx := s.FieldIndices(name)
	if len(idx) == 0 {
		return 0, fmt.Errorf("field %q: no such column", name)
	}
	switch t := s.Field(idx[0]).Type.ID(); t {
	case arrow.STRING, arrow.LARGE_STRING:
		return idx[0], nil
	default:
		return 0, fmt.Errorf("field %q: type %s, want utf8", name, s.Field(idx[0]).Type)
	}
}

// appendTexts appends the values of a string column; nulls read as "".
// The strings alias the batch's buffers.
func appendTexts(col arrow.Array, dst []string) []string {
	switch c := col.(type) {
	case *array.String:
		for i := range c.Len() {
			dst = append(dst, c.Value(i))
		}
	case *array.LargeString:
		for i := range c.Len() {
			dst = append(dst, c.Value(i))
		}
	}
	return dst
}

// writeScrubbed writes rec with column col replaced by outs (nulls stay
// null), or rec itself when nothing changed.
func writeScrubbed(out *artifact.DatasetWriter, rec arrow.RecordBatch, col int, outs []string, changed bool) error {
	if !changed {
		return out.Write(rec)
	}
	old := rec.Column(col)
	var b array.Builder
	switch old.(type) {
	case *array.LargeString:
		lb := array.NewLargeStringBuilder(memory.DefaultAllocator)
		for i, s := range outs {
			if old.IsNull(i) {
				lb.AppendNull()
			} else {
				lb.Append(s)
			}
		}
		b = lb
	default:
		sb := array.NewStringBuilder(memory.DefaultAllocator)
		for i, s := range outs {
			if old.IsNull(i) {
				sb.AppendNull()
			} else {
				sb.Append(s)
			}
		}
		b = sb
	}
	arr := b.NewArray()
	b.Release()
	defer arr.Release()
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		cols[i] = rec.Column(i)
	}
	cols[col] = arr
	nr := array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
	defer nr.Release()
	return out.Write(nr)
}
