package clean

import (
	"context"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/dataprep/stream"
)

// Reporter receives progress and metrics; the pipeline engine satisfies it.
type Reporter interface {
	Progress(done, total int64, unit string)
	Metric(name string, step int64, value float64)
}

// Input is what Run reads: a whole *artifact.Dataset, or a part of one.
type Input interface {
	stream.Source
	Rows() int64 // for progress
	Dir() string // for messages
}

// RunOption adjusts Run.
type RunOption func(*runOptions)

type runOptions struct {
	rejects stream.Sink
}

// WithRejects sends dropped documents, unchanged, to w with a "reason"
// column; w's schema must be RejectsSchema(in.Schema()).
func WithRejects(w stream.Sink) RunOption {
	return func(o *runOptions) { o.rejects = w }
}

// OutputSchema is the schema Run writes for input schema in: the input
// columns, with cfg.LanguageColumn (utf8) added or replaced.
func OutputSchema(in *arrow.Schema, cfg Config) *arrow.Schema {
	return stream.OutputSchema(in, extraColumns(cfg))
}

// RejectsSchema is the schema of the rejects output: the input columns plus
// a utf8 "reason" column.
func RejectsSchema(in *arrow.Schema) *arrow.Schema { return stream.RejectsSchema(in) }

func extraColumns(cfg Config) []string {
	if cfg.LanguageColumn == "" {
		return nil
	}
	return []string{cfg.LanguageColumn}
}

// Mapper adapts a Cleaner to stream.Mapper: kept rows get the cleaned text
// and, when cfg.LanguageColumn is set, the language as the first extra
// column. Each worker needs its own Mapper.
type Mapper struct {
	C    *Cleaner
	lang bool
}

// NewMapper returns a Mapper with a fresh Cleaner for cfg.
func NewMapper(cfg Config) (*Mapper, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return &Mapper{C: c, lang: cfg.LanguageColumn != ""}, nil
}

// Map cleans one text.
func (m *Mapper) Map(text string, r *stream.Result) {
	res := m.C.Clean(text)
	if res.Reason != Keep {
		r.Drop, r.Reason = true, res.Reason.String()
		return
	}
	r.Text = res.Text
	if m.lang {
		r.Extra[0] = res.Lang.String()
	}
}

// Run cleans the text column cfg.Field of every row of in and writes the
// kept rows, in input order, to out (schema OutputSchema(in.Schema(), cfg)).
// Work is spread over cfg.Workers goroutines; the output does not depend on
// their number. Metrics go to rep at the end (rep may be nil).
func Run(ctx context.Context, in Input, out stream.Sink, cfg Config, rep Reporter, opts ...RunOption) (Stats, error) {
	var o runOptions
	for _, opt := range opts {
		opt(&o)
	}
	if err := cfg.Validate(); err != nil {
		return Stats{}, fmt.Errorf("clean: %w", err)
	}
	sopt := stream.Options{Field: cfg.Field, Workers: cfg.Workers, Extra: extraColumns(cfg)}
	if o.rejects != nil {
		sopt.Rejects = o.rejects
	}
	if rep != nil {
		total := in.Rows()
		sopt.Progress = func(rows, _ int64) { rep.Progress(rows, total, "docs") }
	}
	mappers, err := stream.Run(ctx, in, out, sopt, func(int) *Mapper {
		m, _ := NewMapper(cfg) // cfg validated above
		return m
	})
	var st Stats
	for _, m := range mappers {
		st.Add(m.C.Stats())
	}
	if err != nil {
		return st, fmt.Errorf("clean %s: %w", in.Dir(), err)
	}
	ReportMetrics(rep, st)
	return st, nil
}

// ReportMetrics sends every metric of st to rep in name order (rep may be nil).
func ReportMetrics(rep Reporter, st Stats) {
	if rep == nil {
		return
	}
	m := st.Metrics()
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		rep.Metric(k, 0, m[k])
	}
}
