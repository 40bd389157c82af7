package stream

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Source yields record batches in order. A batch is valid during the call
// only; Run retains what it keeps. *artifact.Dataset satisfies it.
type Source interface {
	Schema() *arrow.Schema
	Scan(ctx context.Context, fn func(rec arrow.RecordBatch) error) error
}

// Sink receives record batches in order; the caller keeps ownership of each
// batch. *artifact.DatasetWriter satisfies it.
type Sink interface {
	Write(rec arrow.RecordBatch) error
}

// Result is what a Mapper returns for one row. Run resets it before each
// call.
type Result struct {
	// Text replaces the row's text. It may alias the mapper's buffers: Run
	// copies it before the next call.
	Text string
	// Drop removes the row from the output (and sends it to the rejects
	// sink, if any, with Reason).
	Drop   bool
	Reason string
	// Extra holds one value per Options.Extra column. Run sets its length
	// before the call; the mapper fills it.
	Extra []string
}

// Mapper transforms one text at a time. Each worker has its own Mapper, so
// implementations need no locking. The text may alias an Arrow buffer that
// is released after the unit: a Mapper must copy what it keeps beyond the
// call.
type Mapper interface {
	Map(text string, res *Result)
}

// MapperFunc adapts a function to Mapper.
type MapperFunc func(text string, res *Result)

// Map calls f.
func (f MapperFunc) Map(text string, res *Result) { f(text, res) }

// Options configures Run and RunJSONL.
type Options struct {
	// Field is the text column or JSON key ("text" when empty). Its Arrow
	// type must be utf8 or large_utf8; null values pass through unmapped.
	Field string
	// Workers is the number of mapping goroutines; 0 means GOMAXPROCS.
	Workers int
	// BatchRows bounds the rows per unit of work (DefaultBatchRows); larger
	// input batches are sliced without copying.
	BatchRows int
	// Extra names utf8 columns (JSON keys) that the mapper fills through
	// Result.Extra. A name already in the input is replaced in place, a new
	// one is appended.
	Extra []string
	// Rejects, when set, receives the dropped rows as they came in, with a
	// "reason" column added (see RejectsSchema).
	Rejects Sink
	// Progress, when set, is called after each unit is written, in order,
	// with the running totals of input rows and text bytes.
	Progress func(rows, bytes int64)
	// Mem allocates output arrays (memory.DefaultAllocator when nil).
	Mem memory.Allocator
}

func (o *Options) defaults() {
	if o.Field == "" {
		o.Field = "text"
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.Mem == nil {
		o.Mem = memory.DefaultAllocator
	}
}

// DefaultBatchRows is the unit of work when Options.BatchRows is 0. Each
// unit becomes one output batch, so a caller that splits an input at unit
// boundaries gets the output batches of a whole run.
const DefaultBatchRows = 1024

// ReasonColumn is the column (JSON key) that names why a rejected row was dropped.
const ReasonColumn = "reason"

// OutputSchema is the schema Run writes for input schema in and extra
// columns: in's fields with each extra name replaced by a utf8 field in
// place or appended.
func OutputSchema(in *arrow.Schema, extra []string) *arrow.Schema {
	fields := append([]arrow.Field(nil), in.Fields()...)
	for _, name := range extra {
		f := arrow.Field{Name: name, Type: arrow.BinaryTypes.String}
		if idx := in.FieldIndices(name); len(idx) > 0 {
			fields[idx[0]] = f
		} else {
			fields = append(fields, f)
		}
	}
	md := in.Metadata()
	return arrow.NewSchema(fields, &md)
}

// RejectsSchema is the schema of the rejects sink: the input fields plus a
// utf8 "reason" column (replacing one of that name).
func RejectsSchema(in *arrow.Schema) *arrow.Schema {
	return OutputSchema(in, []string{ReasonColumn})
}

type unit struct {
	seq int
	rec arrow.RecordBatch
}

type done struct {
	seq       int
	out, rej  arrow.RecordBatch
	rows, byt int64
	err       error
}

// Run maps every row of src through the mappers and writes the kept rows to
// dst in input order. newMapper is called once per worker, with the worker
// index; the mappers are returned so the caller can merge their statistics.
// On error the output is incomplete and the error names the batch.
func Run[M Mapper](ctx context.Context, src Source, dst Sink, opt Options, newMapper func(worker int) M) ([]M, error) {
	opt.defaults()
	in := src.Schema()
	plan, err := newPlan(in, opt)
	if err != nil {
		return nil, err
	}
	mappers := make([]M, opt.Workers)
	for i := range mappers {
		mappers[i] = newMapper(i)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	tokens := make(chan struct{}, 2*opt.Workers)
	jobs := make(chan unit)
	results := make(chan done, opt.Workers)

	// Reader.
	var readErr error
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(jobs)
		seq := 0
		readErr = src.Scan(ctx, func(rec arrow.RecordBatch) error {
			n := rec.NumRows()
			for off := int64(0); off < n; off += int64(opt.BatchRows) {
				end := min(n, off+int64(opt.BatchRows))
				select {
				case tokens <- struct{}{}:
				case <-ctx.Done():
					return context.Cause(ctx)
				}
				part := rec.NewSlice(off, end)
				select {
				case jobs <- unit{seq, part}:
					seq++
				case <-ctx.Done():
					part.Release()
					return context.Cause(ctx)
				}
			}
			return nil
		})
	}()

	// Workers.
	var wg sync.WaitGroup
	for w := 0; w < opt.Workers; w++ {
		wg.Add(1)
		go func(m M) {
			defer wg.Done()
			wk := plan.newWorker(m)
			for u := range jobs {
				d := wk.process(u)
				u.rec.Release()
				select {
				case results <- d:
				case <-ctx.Done():
					d.release()
				}
			}
		}(mappers[w])
	}
	go func() { wg.Wait(); close(results) }()

	// Writer: restore input order.
	pending := map[int]done{}
	next := 0
	var rows, byt int64
	var writeErr error
	for d := range results {
		if writeErr != nil {
			d.release()
			continue
		}
		pending[d.seq] = d
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if err := plan.write(dst, opt.Rejects, p); err != nil {
				writeErr = err
				cancel(err)
				p.release()
				break
			}
			p.release()
			rows += p.rows
			byt += p.byt
			if opt.Progress != nil {
				opt.Progress(rows, byt)
			}
			<-tokens
		}
	}
	for _, p := range pending {
		p.release()
	}
	<-readDone
	switch {
	case writeErr != nil:
		return mappers, writeErr
	case readErr != nil && !errors.Is(readErr, context.Canceled):
		return mappers, readErr
	case ctx.Err() != nil:
		return mappers, context.Cause(ctx)
	}
	return mappers, nil
}

func (d done) release() {
	if d.out != nil {
		d.out.Release()
	}
	if d.rej != nil {
		d.rej.Release()
	}
}

// write sends one unit's batches to the sinks.
func (p *plan) write(dst, rejects Sink, d done) error {
	if d.err != nil {
		return d.err
	}
	if d.out != nil && d.out.NumRows() > 0 {
		if err := dst.Write(d.out); err != nil {
			return fmt.Errorf("stream: writing output: %w", err)
		}
	}
	if rejects != nil && d.rej != nil && d.rej.NumRows() > 0 {
		if err := rejects.Write(d.rej); err != nil {
			return fmt.Errorf("stream: writing rejects: %w", err)
		}
	}
	return nil
}
