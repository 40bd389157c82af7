package runview

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
)

// Sample is the first rows of a dataset artifact, every cell as text.
type Sample struct {
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
	Total   int64      `json:"total_rows"`
}

var errEnough = errors.New("enough rows")

// ReadSample reads the first n rows of the dataset in dir; strings are
// quoted (so empty and blank values show) and cut to maxRunes.
func ReadSample(ctx context.Context, dir string, n, maxRunes int) (*Sample, error) {
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		return nil, err
	}
	s := &Sample{Total: ds.Rows(), Rows: [][]string{}}
	err = ds.Scan(ctx, func(rec arrow.RecordBatch) error {
		if s.Columns == nil {
			for _, f := range rec.Schema().Fields() {
				s.Columns = append(s.Columns, f.Name)
			}
		}
		for row := 0; row < int(rec.NumRows()) && len(s.Rows) < n; row++ {
			cells := make([]string, rec.NumCols())
			for c := range cells {
				cells[c] = truncate(cellString(rec.Column(c), row), maxRunes)
			}
			s.Rows = append(s.Rows, cells)
		}
		if len(s.Rows) >= n {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, err
	}
	return s, nil
}

func cellString(col arrow.Array, row int) string {
	if col.IsNull(row) {
		return "null"
	}
	if s, ok := col.(*array.String); ok {
		return fmt.Sprintf("%q", s.Value(row))
	}
	return col.ValueStr(row)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
