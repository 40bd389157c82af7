package pii

import (
	"context"
	"fmt"
	"sort"

	"github.com/llmflow/llmflow/dataprep/stream"
)

// Reporter receives progress and metrics; the pipeline engine satisfies it.
type Reporter interface {
	Progress(done, total int64, unit string)
	Metric(name string, step int64, value float64)
}

// Mapper adapts a Scrubber to stream.Mapper and counts what it replaced.
// Each stream worker owns one; merge their Stats after the run.
type Mapper struct {
	p  *Scrubber
	st Stats
}

// NewMapper returns a Mapper over a shared Scrubber.
func (p *Scrubber) NewMapper() *Mapper { return &Mapper{p: p} }

// Map scrubs one text.
func (m *Mapper) Map(text string, r *stream.Result) {
	out, c := m.p.Scrub(text)
	r.Text = out
	m.st.add(len(text), c)
}

// Stats returns the counts of the texts this mapper saw.
func (m *Mapper) Stats() Stats { return m.st }

// Add folds o into s.
func (s *Stats) Add(o Stats) {
	s.Docs += o.Docs
	s.Bytes += o.Bytes
	s.DocsChanged += o.DocsChanged
	for e, v := range o.Found {
		s.Found[e] += v
	}
}

// Run copies in to out with the text column scrubbed and every other column
// intact, in input order (out must have in's schema). Rows are scrubbed on
// cfg.Workers goroutines through package stream; the output does not
// depend on their number. Null texts stay null. rep may be nil.
func Run(ctx context.Context, in Input, out stream.Sink, cfg Config, rep Reporter) (Stats, error) {
	p, err := New(cfg)
	if err != nil {
		return Stats{}, err
	}
	sopt := stream.Options{Field: cfg.Field, Workers: cfg.Workers}
	if rep != nil {
		total := in.Rows()
		sopt.Progress = func(rows, _ int64) { rep.Progress(rows, total, "docs") }
	}
	mappers, err := stream.Run(ctx, in, out, sopt, func(int) *Mapper { return p.NewMapper() })
	var st Stats
	for _, m := range mappers {
		st.Add(m.st)
	}
	if err != nil {
		return st, fmt.Errorf("pii %s: %w", in.Dir(), err)
	}
	ReportMetrics(rep, st)
	return st, nil
}

// Input is what Run reads: a whole *artifact.Dataset, or a part of one.
type Input interface {
	stream.Source
	Rows() int64 // for progress
	Dir() string // for messages
}

// ReportMetrics sends every metric of st to rep in name order (rep may be nil).
func ReportMetrics(rep Reporter, st Stats) {
	if rep != nil {
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
}
