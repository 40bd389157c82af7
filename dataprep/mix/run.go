package mix

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/llmflow/llmflow/artifact"
)

// Reporter receives progress; the pipeline engine satisfies it.
type Reporter interface {
	Progress(done, total int64, unit string)
}

// Source is one input of a mix: its name (recorded in the source column)
// and its dataset.
type Source struct {
	Name string
	Data *artifact.Dataset
}

// Stats counts the rows taken from each source, in the order of the sources.
type Stats struct {
	Names []string
	Rows  []int64
}

// Metrics flattens the counts for the run store: "rows" and
// "rows.<source>" per source.
func (s Stats) Metrics() map[string]float64 {
	m := map[string]float64{}
	var total int64
	for i, n := range s.Rows {
		m["rows."+s.Names[i]] = float64(n)
		total += n
	}
	m["rows"] = float64(total)
	return m
}

// Run writes the interleave of sources that cfg and seed decide to w, whose
// schema must be OutputSchema of the sources' schemas. Source names must be
// distinct. Each source is read a batch at a time.
func Run(ctx context.Context, sources []Source, w *artifact.DatasetWriter, cfg Config, seed int64, rep Reporter) (Stats, error) {
	st := Stats{Names: make([]string, len(sources)), Rows: make([]int64, len(sources))}
	if err := cfg.Validate(); err != nil {
		return st, err
	}
	if _, err := cfg.CheckSources(len(sources)); err != nil {
		return st, err
	}
	rows := make([]int64, len(sources))
	for i, s := range sources {
		st.Names[i], rows[i] = s.Name, s.Data.Rows()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	readers := make([]*reader, len(sources))
	for i, s := range sources {
		readers[i] = startReader(ctx, s.Data)
	}
	defer func() {
		cancel()
		for _, r := range readers {
			r.close()
		}
	}()
	out, err := newWriter(w, sources)
	if err != nil {
		return st, err
	}
	defer out.release()
	p := newPicker(cfg, rows, seed)
	var total int64
	for _, n := range p.left {
		total += n
	}
	var done int64
	for i := p.next(); i >= 0; i = p.next() {
		rec, row, err := readers[i].next()
		if err != nil {
			return st, fmt.Errorf("mix source %s: %w", sources[i].Name, err)
		}
		if err := out.add(i, rec, row); err != nil {
			return st, err
		}
		st.Rows[i]++
		if done++; done%(1<<14) == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
			rep.Progress(done, total, "rows")
		}
	}
	if err := out.flush(); err != nil {
		return st, err
	}
	rep.Progress(done, done, "rows")
	return st, nil
}

// reader pulls one source's batches from a goroutine that scans it, so that
// the interleave can take rows from several sources without loading them.
type reader struct {
	batches chan arrow.RecordBatch
	errc    chan error
	cur     arrow.RecordBatch
	row     int
}

func startReader(ctx context.Context, ds *artifact.Dataset) *reader {
	r := &reader{batches: make(chan arrow.RecordBatch, 1), errc: make(chan error, 1)}
	go func() {
		defer close(r.batches)
		r.errc <- ds.Scan(ctx, func(rec arrow.RecordBatch) error {
			rec.Retain()
			select {
			case r.batches <- rec:
				return nil
			case <-ctx.Done():
				rec.Release()
				return ctx.Err()
			}
		})
	}()
	return r
}

// next returns the batch holding the source's next row and its index.
func (r *reader) next() (arrow.RecordBatch, int, error) {
	for r.cur == nil || r.row >= int(r.cur.NumRows()) {
		if r.cur != nil {
			r.cur.Release()
			r.cur = nil
		}
		rec, ok := <-r.batches
		if !ok {
			if err := <-r.errc; err != nil {
				return nil, 0, err
			}
			return nil, 0, errors.New("ran out of rows before its recorded count")
		}
		r.cur, r.row = rec, 0
	}
	r.row++
	return r.cur, r.row - 1, nil
}

// close releases what the reader holds once the scan goroutine is told to
// stop (the caller cancels its context first).
func (r *reader) close() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	for rec := range r.batches {
		rec.Release()
	}
}

// writer builds output batches from rows of the sources.
type writer struct {
	w       *artifact.DatasetWriter
	rb      *array.RecordBuilder
	names   []string
	cols    [][]int // per source: input column of each output column but source
	pending int
}

func newWriter(w *artifact.DatasetWriter, sources []Source) (*writer, error) {
	schema := w.Schema()
	out := &writer{w: w, rb: array.NewRecordBuilder(memory.DefaultAllocator, schema)}
	for _, s := range sources {
		var cols []int
		for _, f := range schema.Fields()[:schema.NumFields()-1] {
			idx := s.Data.Schema().FieldIndices(f.Name)
			if len(idx) != 1 || !arrow.TypeEqual(s.Data.Schema().Field(idx[0]).Type, f.Type) {
				out.rb.Release()
				return nil, fmt.Errorf("mix source %s has no column %s of type %s", s.Name, f.Name, f.Type)
			}
			cols = append(cols, idx[0])
		}
		out.names = append(out.names, s.Name)
		out.cols = append(out.cols, cols)
	}
	return out, nil
}

func (w *writer) add(src int, rec arrow.RecordBatch, row int) error {
	for j, c := range w.cols[src] {
		w.pending += appendValue(w.rb.Field(j), rec.Column(c), row)
	}
	w.rb.Field(len(w.cols[src])).(*array.StringBuilder).Append(w.names[src])
	if w.rb.Field(0).Len() >= artifact.DefaultBatchRows || w.pending >= artifact.DefaultBatchBytes {
		return w.flush()
	}
	return nil
}

func (w *writer) flush() error {
	if w.rb.Field(0).Len() == 0 {
		return nil
	}
	rec := w.rb.NewRecordBatch()
	defer rec.Release()
	w.pending = 0
	return w.w.Write(rec)
}

func (w *writer) release() { w.rb.Release() }

// appendValue copies row i of col to b (same type, one of those copyable
// accepts) and returns the bytes it added, roughly.
func appendValue(b array.Builder, col arrow.Array, i int) int {
	if col.IsNull(i) {
		b.AppendNull()
		return 1
	}
	switch c := col.(type) {
	case *array.String:
		v := c.Value(i)
		b.(*array.StringBuilder).Append(v)
		return len(v)
	case *array.Int64:
		b.(*array.Int64Builder).Append(c.Value(i))
	case *array.Float64:
		b.(*array.Float64Builder).Append(c.Value(i))
	case *array.Boolean:
		b.(*array.BooleanBuilder).Append(c.Value(i))
	}
	return 8
}
