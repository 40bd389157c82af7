package stream

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// plan maps input columns to output columns once per run.
type plan struct {
	opt      Options
	in       *arrow.Schema
	out      *arrow.Schema
	rej      *arrow.Schema
	textIdx  int
	large    bool
	extraIdx []int // output column index of each extra
	reasonIx int   // rejects column index of "reason"
}

func newPlan(in *arrow.Schema, opt Options) (*plan, error) {
	idx := in.FieldIndices(opt.Field)
	if len(idx) == 0 {
		return nil, fmt.Errorf("stream: input has no column %q (columns: %s)", opt.Field, fieldNames(in))
	}
	p := &plan{opt: opt, in: in, textIdx: idx[0]}
	switch in.Field(p.textIdx).Type.ID() {
	case arrow.STRING:
	case arrow.LARGE_STRING:
		p.large = true
	default:
		return nil, fmt.Errorf("stream: column %q is %s, want utf8 or large_utf8", opt.Field, in.Field(p.textIdx).Type)
	}
	for _, e := range opt.Extra {
		if e == opt.Field {
			return nil, fmt.Errorf("stream: extra column %q is the text column", e)
		}
	}
	p.out = OutputSchema(in, opt.Extra)
	for _, e := range opt.Extra {
		p.extraIdx = append(p.extraIdx, p.out.FieldIndices(e)[0])
	}
	p.rej = RejectsSchema(in)
	p.reasonIx = p.rej.FieldIndices(ReasonColumn)[0]
	return p, nil
}

func fieldNames(s *arrow.Schema) string {
	out := ""
	for i, f := range s.Fields() {
		if i > 0 {
			out += ", "
		}
		out += f.Name
	}
	return out
}

// worker holds one mapper and its reusable per-unit state.
type worker[M Mapper] struct {
	p      *plan
	m      M
	res    Result
	keep   []bool
	reason []string
}

func (p *plan) newWorker(m Mapper) *worker[Mapper] {
	return &worker[Mapper]{p: p, m: m}
}

// textColumn gives uniform access to utf8 and large_utf8 arrays.
type textColumn interface {
	arrow.Array
	Value(i int) string
	ValueBytes() []byte
}

// process maps one unit and builds its output and rejects batches.
func (w *worker[M]) process(u unit) (d done) {
	d.seq = u.seq
	defer func() {
		if r := recover(); r != nil {
			d.release()
			d.out, d.rej = nil, nil
			d.err = fmt.Errorf("stream: batch %d: mapper panicked: %v (this is a bug in llmflow)", u.seq, r)
		}
	}()
	p := w.p
	rec := u.rec
	n := int(rec.NumRows())
	col := rec.Column(p.textIdx).(textColumn)
	mem := p.opt.Mem
	var tb interface {
		array.Builder
		Append(string)
		ReserveData(int)
	}
	if p.large {
		tb = array.NewLargeStringBuilder(mem)
	} else {
		tb = array.NewStringBuilder(mem)
	}
	defer tb.Release()
	// The output text is about the input's size: one allocation instead of
	// a doubling series, each zeroed and copied.
	tb.Reserve(n)
	tb.ReserveData(len(col.ValueBytes()))
	extras := make([]*array.StringBuilder, len(p.opt.Extra))
	for i := range extras {
		extras[i] = array.NewStringBuilder(mem)
		defer extras[i].Release()
	}
	w.keep = w.keep[:0]
	w.reason = w.reason[:0]
	kept := 0
	for i := 0; i < n; i++ {
		if col.IsNull(i) {
			w.keep = append(w.keep, true)
			kept++
			tb.AppendNull()
			for _, b := range extras {
				b.AppendNull()
			}
			continue
		}
		text := col.Value(i)
		d.byt += int64(len(text))
		w.res.Text, w.res.Drop, w.res.Reason = text, false, ""
		if cap(w.res.Extra) < len(extras) {
			w.res.Extra = make([]string, len(extras))
		}
		w.res.Extra = w.res.Extra[:len(extras)]
		clear(w.res.Extra)
		w.m.Map(text, &w.res)
		if w.res.Drop {
			w.keep = append(w.keep, false)
			w.reason = append(w.reason, w.res.Reason)
			continue
		}
		w.keep = append(w.keep, true)
		kept++
		tb.Append(w.res.Text)
		for k, b := range extras {
			b.Append(w.res.Extra[k])
		}
	}
	d.rows = int64(n)
	// Output batch.
	cols := make([]arrow.Array, len(p.out.Fields()))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for j := 0; j < len(p.in.Fields()); j++ {
		if j == p.textIdx {
			continue
		}
		cols[j] = filter(mem, rec.Column(j), w.keep, true)
	}
	cols[p.textIdx] = tb.NewArray()
	for k, b := range extras {
		if c := cols[p.extraIdx[k]]; c != nil {
			c.Release()
		}
		cols[p.extraIdx[k]] = b.NewArray()
	}
	d.out = array.NewRecordBatch(p.out, cols, int64(kept))
	// Rejects batch.
	if p.opt.Rejects != nil && kept < n {
		rcols := make([]arrow.Array, len(p.rej.Fields()))
		for j := 0; j < len(p.in.Fields()); j++ {
			rcols[j] = filter(mem, rec.Column(j), w.keep, false)
		}
		rb := array.NewStringBuilder(mem)
		rb.AppendValues(w.reason, nil)
		if c := rcols[p.reasonIx]; c != nil {
			c.Release()
		}
		rcols[p.reasonIx] = rb.NewArray()
		rb.Release()
		d.rej = array.NewRecordBatch(p.rej, rcols, int64(n-kept))
		for _, c := range rcols {
			c.Release()
		}
	}
	return d
}

// filter returns the rows of a where keep[i] == want, sharing a's buffers
// when every row qualifies and concatenating slices of runs otherwise.
func filter(mem memory.Allocator, a arrow.Array, keep []bool, want bool) arrow.Array {
	n := len(keep)
	var runs []arrow.Array
	all := true
	for i := 0; i < n; {
		if keep[i] != want {
			all = false
			i++
			continue
		}
		j := i + 1
		for j < n && keep[j] == want {
			j++
		}
		runs = append(runs, array.NewSlice(a, int64(i), int64(j)))
		i = j
	}
	defer func() {
		for _, r := range runs {
			r.Release()
		}
	}()
	switch {
	case all:
		a.Retain()
		return a
	case len(runs) == 0:
		return array.NewSlice(a, 0, 0)
	case len(runs) == 1:
		runs[0].Retain()
		return runs[0]
	}
	out, err := array.Concatenate(runs, mem)
	if err != nil {
		panic(fmt.Sprintf("concatenating slices of one array: %v", err)) // same type by construction
	}
	return out
}
