package eval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/artifact"
)

// example is one row of a prompts or shots dataset: its id and its
// non-null cells as text (numbers in decimal, JSON columns as JSON).
type example struct {
	id     string
	fields map[string]string
}

// exampleSet is a text dataset read whole, with its column names.
type exampleSet struct {
	input   string // the input port, for errors
	columns []string
	rows    []example
}

// loadExamples reads up to limit rows (0: all) of the text dataset in dir.
func loadExamples(ctx context.Context, input, dir string, limit int) (*exampleSet, error) {
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		return nil, fmt.Errorf("eval: input %q: %w", input, err)
	}
	s := &exampleSet{input: input}
	for _, f := range ds.Schema().Fields() {
		s.columns = append(s.columns, f.Name)
	}
	idCol := ds.Schema().FieldIndices(artifact.ColID)
	errStop := errors.New("enough rows") // ends the scan at limit
	err = ds.Scan(ctx, func(rec arrow.RecordBatch) error {
		for r := 0; r < int(rec.NumRows()); r++ {
			if limit > 0 && len(s.rows) >= limit {
				return errStop
			}
			e := example{id: fmt.Sprintf("row %d", len(s.rows)), fields: make(map[string]string, rec.NumCols())}
			for c, col := range rec.Columns() {
				if col.IsNull(r) {
					continue
				}
				e.fields[s.columns[c]] = col.ValueStr(r)
			}
			if len(idCol) == 1 && !rec.Column(idCol[0]).IsNull(r) {
				e.id = rec.Column(idCol[0]).ValueStr(r)
			}
			s.rows = append(s.rows, e)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("eval: input %q: %w", input, err)
	}
	return s, nil
}

// need checks that every name is a column, naming the attribute that asks
// for it and the columns there are.
func (s *exampleSet) need(attr string, names ...string) error {
	for _, n := range names {
		if !slices.Contains(s.columns, n) {
			cols := append([]string(nil), s.columns...)
			sort.Strings(cols)
			return fmt.Errorf("eval: %s field %q is not a column of input %q (columns: %s)", attr, n, s.input, strings.Join(cols, ", "))
		}
	}
	return nil
}

// value returns a field of row i, or an error naming the row and field.
func (s *exampleSet) value(i int, field string) (string, error) {
	v, ok := s.rows[i].fields[field]
	if !ok {
		return "", fmt.Errorf("eval: input %q, example %q: field %q is null", s.input, s.rows[i].id, field)
	}
	return v, nil
}

// render fills t from row i, naming the row when a field is null.
func (s *exampleSet) render(t *Template, i int) (string, error) {
	out, err := t.Render(s.rows[i].fields)
	if err != nil {
		return "", fmt.Errorf("eval: input %q, example %q: %w (null)", s.input, s.rows[i].id, err)
	}
	return out, nil
}
