package dedup

import (
	"context"
	"fmt"

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

// RunOption adjusts Run.
type RunOption func(*runOptions)

type runOptions struct {
	against      *artifact.Dataset
	againstField string
	signedParts  []string
}

// WithAgainst removes input documents that duplicate (exactly or nearly) a
// document of ref, read from its column field ("" means Config.Field).
func WithAgainst(ref *artifact.Dataset, field string) RunOption {
	return func(o *runOptions) { o.against, o.againstField = ref, field }
}

// Run copies the rows of in whose text is not a duplicate to out, in input
// order, with every column intact. Signatures are computed on cfg.Workers
// goroutines per record batch; decisions follow input order, so out does not
// depend on the number of workers. rep may be nil.
func Run(ctx context.Context, in *artifact.Dataset, out *artifact.DatasetWriter, cfg Config, rep Reporter, opts ...RunOption) (Stats, error) {
	var o runOptions
	for _, opt := range opts {
		opt(&o)
	}
	ix, err := NewIndex(cfg)
	if err != nil {
		return Stats{}, err
	}
	// Kept documents are at most all rows; sizing up front spares the
	// tables their regrowth (capped: untouched capacity is still address
	// space, and beyond a million documents regrowth is amortised anyway).
	reserve := in.Rows()
	if o.against != nil {
		reserve += o.against.Rows()
	}
	ix.Reserve(int(min(reserve, 1<<20)))
	var sigs []Signature
	var texts []string
	if o.against != nil {
		field := o.againstField
		if field == "" {
			field = cfg.Field
		}
		err := o.against.Scan(ctx, func(rec arrow.RecordBatch) error {
			texts, err = textColumn(rec, field, texts[:0])
			if err != nil {
				return fmt.Errorf("dedup: against dataset %s: %w", o.against.Dir(), err)
			}
			sigs = growSigs(sigs, len(texts))
			ix.SignAll(texts, sigs, cfg.Workers)
			for i := range texts {
				ix.AddReferenceSignature(&sigs[i])
			}
			return nil
		})
		if err != nil {
			return ix.Stats(), err
		}
	}
	total := in.Rows()
	var done int64
	keep := []bool{}
	err = in.Scan(ctx, func(rec arrow.RecordBatch) error {
		texts, err = textColumn(rec, cfg.Field, texts[:0])
		if err != nil {
			return fmt.Errorf("dedup: dataset %s: %w", in.Dir(), err)
		}
		sigs = growSigs(sigs, len(texts))
		ix.SignAll(texts, sigs, cfg.Workers)
		keep = keep[:0]
		for i := range texts {
			keep = append(keep, !ix.AddSignature(&sigs[i]).Dup)
		}
		if err := writeKept(out, rec, keep); err != nil {
			return err
		}
		done += rec.NumRows()
		if rep != nil {
			rep.Progress(done, total, "docs")
			rep.Metric("removed", done, float64(ix.Stats().Removed))
		}
		return nil
	})
	return ix.Stats(), err
}

func growSigs(s []Signature, n int) []Signature {
	if len(s) < n {
		s = append(s, make([]Signature, n-len(s))...)
	}
	return s
}

// textColumn appends the values of the string column name of rec to dst;
// nulls read as "". The strings alias the batch's buffers.
func textColumn(rec arrow.RecordBatch, name string, dst []string) ([]string, error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return dst, fmt.Errorf("field %q: no such column", name)
	}
	switch col := rec.Column(idx[0]).(type) {
	case *array.String:
		for i := range col.Len() {
			dst = append(dst, col.Value(i))
		}
	case *array.LargeString:
		for i := range col.Len() {
			dst = append(dst, col.Value(i))
		}
	default:
		return dst, fmt.Errorf("field %q: type %s, want utf8", name, col.DataType())
	}
	return dst, nil
}

// writeKept writes the rows of rec marked in keep, as one batch.
func writeKept(out *artifact.DatasetWriter, rec arrow.RecordBatch, keep []bool) error {
	var ranges [][2]int64
	for i := 0; i < len(keep); {
		if !keep[i] {
			i++
			continue
		}
		j := i
		for j < len(keep) && keep[j] {
			j++
		}
		ranges = append(ranges, [2]int64{int64(i), int64(j)})
		i = j
	}
	switch {
	case len(ranges) == 0:
		return nil
	case len(ranges) == 1 && ranges[0] == [2]int64{0, rec.NumRows()}:
		return out.Write(rec)
	}
	n := int64(0)
	for _, r := range ranges {
		n += r[1] - r[0]
	}
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	parts := make([]arrow.Array, len(ranges))
	for c := range cols {
		for k, r := range ranges {
			parts[k] = array.NewSlice(rec.Column(c), r[0], r[1])
		}
		var err error
		cols[c], err = array.Concatenate(parts, memory.DefaultAllocator)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			return fmt.Errorf("dedup: column %q: %w", rec.Schema().Field(c).Name, err)
		}
	}
	kept := array.NewRecordBatch(rec.Schema(), cols, n)
	defer kept.Release()
	return out.Write(kept)
}
