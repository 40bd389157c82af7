package artifact

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// validateBatch checks a batch read from an untrusted file so that
// consumers can index its arrays without panicking: schema, column lengths,
// validity bitmaps, and offsets of variable-length and nested arrays.
func validateBatch(rec arrow.RecordBatch, schema *arrow.Schema) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt record batch: %v", p)
		}
	}()
	if !rec.Schema().Equal(schema) {
		return fmt.Errorf("schema {%s} differs from dataset schema {%s}", SchemaString(rec.Schema()), SchemaString(schema))
	}
	n := rec.NumRows()
	if n < 0 {
		return fmt.Errorf("negative row count %d", n)
	}
	for i, col := range rec.Columns() {
		if int64(col.Len()) != n {
			return fmt.Errorf("column %q: %d values, batch has %d rows", schema.Field(i).Name, col.Len(), n)
		}
		if err := validateArray(col); err != nil {
			return fmt.Errorf("column %q: %w", schema.Field(i).Name, err)
		}
	}
	return nil
}

type fullValidator interface{ ValidateFull() error }

func validateArray(a arrow.Array) error {
	d := a.Data()
	if d.Offset() < 0 || d.Len() < 0 {
		return fmt.Errorf("negative offset or length")
	}
	end := d.Offset() + d.Len()
	bufs := d.Buffers()
	if d.NullN() > 0 && len(bufs) > 0 && bufs[0] != nil && bufs[0].Len() < int(bitutil.BytesForBits(int64(end))) {
		return fmt.Errorf("validity bitmap of %d bytes is too short for %d values", bufs[0].Len(), end)
	}
	if d.NullN() > d.Len() {
		return fmt.Errorf("%d nulls in %d values", d.NullN(), d.Len())
	}
	if fw, ok := a.DataType().(arrow.FixedWidthDataType); ok && len(bufs) > 1 && d.Len() > 0 {
		if bw := int64(fw.BitWidth()); bw <= 0 || int64(end) > math.MaxInt64/bw {
			return fmt.Errorf("%s: %d values overflow the buffer size", a.DataType(), end)
		}
		need := int(bitutil.BytesForBits(int64(end) * int64(fw.BitWidth())))
		if bufs[1] == nil || bufs[1].Len() < need {
			return fmt.Errorf("%s values buffer too short for %d values", a.DataType(), end)
		}
	}
	if v, ok := a.(fullValidator); ok {
		if err := v.ValidateFull(); err != nil {
			return err
		}
	}
	switch t := a.(type) {
	case *array.Dictionary:
		// Ingest inputs only; indices are checked when they are decoded.
		if err := validateArray(t.Indices()); err != nil {
			return fmt.Errorf("dictionary indices: %w", err)
		}
		return validateArray(t.Dictionary())
	case array.ListLike:
		return validateArray(t.ListValues())
	case *array.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Len() < end {
				return fmt.Errorf("struct field %d has %d values, want at least %d", i, f.Len(), end)
			}
			if err := validateArray(f); err != nil {
				return fmt.Errorf("struct field %d: %w", i, err)
			}
		}
	}
	return nil
}
