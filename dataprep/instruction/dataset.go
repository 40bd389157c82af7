package instruction

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
)

// FromDataset maps the rows of a text dataset (as the dataset block writes
// it: id, text and the records' other fields as columns) into an instruction
// dataset in dst. Fields name columns: the dataset's text_field is the
// column "text". JSON-valued columns (field metadata encoding=json, as
// ingest writes lists and objects) are read as the JSON they hold, so a
// history or messages field works as in a JSONL file. Errors name the row
// by its id, which is "<file>:<line>" for records ingested without one.
func FromDataset(ctx context.Context, ds *artifact.Dataset, dst string, c Config) (Stats, error) {
	if err := c.Validate(); err != nil {
		return Stats{}, err
	}
	w, err := artifact.NewRecordWriter(dst, Schema())
	if err != nil {
		return Stats{}, err
	}
	in := &ingest{c: c, w: w}
	var row int64
	err = ds.Scan(ctx, func(rec arrow.RecordBatch) error {
		fields := rec.Schema().Fields()
		for i := 0; i < int(rec.NumRows()); i++ {
			row++
			r, size := RowRecord(rec, fields, i)
			id := fmt.Sprintf("row %d", row)
			if raw, ok := r[artifact.ColID]; ok {
				_ = json.Unmarshal(raw, &id)
			}
			ex, err := c.MapRecord(r, id)
			if err != nil {
				if err := in.bad(fmt.Sprintf("row %d (id %s)", row, id), err); err != nil {
					return err
				}
				continue
			}
			if err := in.append(ex, size); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		w.Abort()
		return in.st, err
	}
	return in.st, w.Close()
}

// RowRecord renders row i of rec as field -> JSON value, leaving out nulls,
// and returns its approximate size in bytes.
func RowRecord(rec arrow.RecordBatch, fields []arrow.Field, i int) (map[string]json.RawMessage, int) {
	out := make(map[string]json.RawMessage, len(fields))
	size := 0
	for j, f := range fields {
		col := rec.Column(j)
		if col.IsNull(i) {
			continue
		}
		var raw []byte
		if s, ok := col.(*array.String); ok && isJSONField(f) {
			raw = []byte(s.Value(i))
		} else {
			// Every Arrow array renders a value for encoding/json.
			raw, _ = json.Marshal(col.GetOneForMarshal(i))
		}
		out[f.Name] = raw
		size += len(raw)
	}
	return out, size
}

func isJSONField(f arrow.Field) bool {
	v, ok := f.Metadata.GetValue("encoding")
	return ok && v == "json"
}
