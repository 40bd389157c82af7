package artifact

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
)

// Columnar inputs may hold dictionary-encoded columns (pandas writes its
// categoricals that way). Datasets never do: every reader of a shard
// refuses dictionaries, so ingest decodes them to their value type.

// decodedSchema returns s with every top-level dictionary column replaced by
// its value type. A dictionary nested inside another type is an error
// naming the column.
func decodedSchema(s *arrow.Schema) (*arrow.Schema, error) {
	fields := s.Fields()
	for i, f := range fields {
		if dt, ok := f.Type.(*arrow.DictionaryType); ok {
			fields[i].Type = dt.ValueType
		}
		if hasDictionary(fields[i].Type) {
			return nil, fmt.Errorf("column %q: dictionary-encoded values nested in %s are not supported; decode them before ingesting", f.Name, f.Type)
		}
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md), nil
}

func hasDictionary(t arrow.DataType) bool {
	if t.ID() == arrow.DICTIONARY {
		return true
	}
	if nt, ok := t.(arrow.NestedType); ok {
		for _, f := range nt.Fields() {
			if hasDictionary(f.Type) {
				return true
			}
		}
	}
	return false
}

// decodeDictionaries returns rec with its dictionary columns decoded, as a
// batch of schema (from decodedSchema) that the caller releases.
func decodeDictionaries(ctx context.Context, rec arrow.RecordBatch, schema *arrow.Schema) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range rec.Columns() {
		d, ok := c.(*array.Dictionary)
		if !ok {
			c.Retain()
			cols[i] = c
			continue
		}
		// Take checks every index against the dictionary's length, and a
		// null index gives a null value.
		v, err := compute.TakeArray(ctx, d.Dictionary(), d.Indices())
		if err != nil {
			return nil, fmt.Errorf("column %q: decoding the dictionary: %w", rec.ColumnName(i), err)
		}
		cols[i] = v
	}
	return array.NewRecordBatch(schema, cols, rec.NumRows()), nil
}
