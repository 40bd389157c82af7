package artifact

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TextBuilder accumulates rows of a text dataset (id, text, extras) in
// reusable Arrow builders: NewRecordBatch hands out the rows so far and
// leaves the builders empty but with their capacity, so the hot path does
// not reallocate per batch. Extra columns are appended through Field before
// the row's Append. A TextBuilder is used by one goroutine.
type TextBuilder struct {
	schema   *arrow.Schema
	rb       *array.RecordBuilder
	id, text *array.StringBuilder
}

// NewTextBuilder returns a builder for schema, whose first two fields must
// be id utf8 and text utf8 (as TextSchema makes).
func NewTextBuilder(schema *arrow.Schema) (*TextBuilder, error) {
	if err := checkTextSchema(schema); err != nil {
		return nil, err
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	return &TextBuilder{
		schema: schema,
		rb:     rb,
		id:     rb.Field(0).(*array.StringBuilder),
		text:   rb.Field(1).(*array.StringBuilder),
	}, nil
}

func checkTextSchema(s *arrow.Schema) error {
	if s == nil || s.NumFields() < 2 ||
		s.Field(0).Name != ColID || s.Field(0).Type.ID() != arrow.STRING ||
		s.Field(1).Name != ColText || s.Field(1).Type.ID() != arrow.STRING {
		return fmt.Errorf("not a text dataset schema: want \"id: utf8, text: utf8, ...\"")
	}
	return nil
}

// Schema returns the builder's schema.
func (b *TextBuilder) Schema() *arrow.Schema { return b.schema }

// Append adds one row's id and text.
func (b *TextBuilder) Append(id, text string) {
	b.id.Append(id)
	b.text.Append(text)
}

// AppendBytes adds one row's id and text from byte slices (copied).
func (b *TextBuilder) AppendBytes(id, text []byte) {
	b.id.BinaryBuilder.Append(id)
	b.text.BinaryBuilder.Append(text)
}

// Field returns the builder of column i (0 is id, 1 is text, extras follow).
func (b *TextBuilder) Field(i int) array.Builder { return b.rb.Field(i) }

// Len returns the number of rows buffered.
func (b *TextBuilder) Len() int { return b.text.Len() }

// DataLen returns the bytes of id and text buffered, to bound batch size.
func (b *TextBuilder) DataLen() int { return b.id.DataLen() + b.text.DataLen() }

// NewRecordBatch returns the buffered rows as a record batch (owned by the
// caller, who must Release it) and resets the builders, reserving room for
// a batch like this one so the next fills without regrowing.
func (b *TextBuilder) NewRecordBatch() arrow.RecordBatch {
	return newBatchKeepCapacity(b.rb)
}

// dataBuilder is a variable-length builder (utf8, binary).
type dataBuilder interface {
	DataLen() int
	ReserveData(int)
}

// newBatchKeepCapacity is rb.NewRecordBatch followed by reserving, in every
// column, the rows and data bytes the batch had.
func newBatchKeepCapacity(rb *array.RecordBuilder) arrow.RecordBatch {
	fields := rb.Fields()
	rows := 0
	if len(fields) > 0 {
		rows = fields[0].Len()
	}
	data := make([]int, len(fields))
	for i, f := range fields {
		if d, ok := f.(dataBuilder); ok {
			data[i] = d.DataLen()
		}
	}
	rec := rb.NewRecordBatch()
	if rows == 0 {
		return rec
	}
	// Slack: the next batch crosses its bound by up to a row, and growing
	// past capacity doubles (and zeroes) the whole buffer.
	for i, f := range fields {
		f.Reserve(rows + rows/8)
		if d, ok := f.(dataBuilder); ok {
			d.ReserveData(data[i] + data[i]/8)
		}
	}
	return rec
}

// Release frees the builders.
func (b *TextBuilder) Release() { b.rb.Release() }

// Default batch bounds of a RecordWriter: a batch is flushed when it
// reaches either, so batches stay large enough for throughput and small
// enough that a handful of huge documents cannot balloon memory.
const (
	DefaultBatchRows  = 8192
	DefaultBatchBytes = 16 << 20
)

// RecordWriter couples reusable Arrow builders with a DatasetWriter for any
// schema: append one row to every column of Builder(), call RowDone, and
// full batches go to the shards. Batch boundaries depend only on the rows,
// so output is deterministic. A RecordWriter is used by one goroutine.
type RecordWriter struct {
	rb      *array.RecordBuilder
	w       *DatasetWriter
	rows    int
	pending int
}

// NewRecordWriter starts a dataset of schema in dir.
func NewRecordWriter(dir string, schema *arrow.Schema, opts ...WriterOption) (*RecordWriter, error) {
	w, err := NewDatasetWriter(dir, schema, opts...)
	if err != nil {
		return nil, err
	}
	return &RecordWriter{rb: array.NewRecordBuilder(memory.DefaultAllocator, schema), w: w}, nil
}

// Builder returns the row builders, one per schema field.
func (r *RecordWriter) Builder() *array.RecordBuilder { return r.rb }

// RowDone records that one row was appended to every column, of about
// size bytes, and writes a batch when the bounds are reached.
func (r *RecordWriter) RowDone(size int) error {
	r.rows++
	r.pending += size
	if r.rows >= DefaultBatchRows || r.pending >= DefaultBatchBytes {
		return r.Flush()
	}
	return nil
}

// Flush writes the buffered rows as one batch.
func (r *RecordWriter) Flush() error {
	if r.rows == 0 {
		return nil
	}
	r.rows, r.pending = 0, 0
	rec := newBatchKeepCapacity(r.rb)
	defer rec.Release()
	return r.w.Write(rec)
}

// Rows returns the rows completed so far (written or buffered).
func (r *RecordWriter) Rows() int64 { return r.w.Rows() + int64(r.rows) }

// Close flushes and closes the dataset.
func (r *RecordWriter) Close() error {
	err := r.Flush()
	r.rb.Release()
	if err != nil {
		r.w.Abort()
		return err
	}
	return r.w.Close()
}

// Abort drops buffered rows and stops the writer.
func (r *RecordWriter) Abort() {
	r.w.Abort()
	r.rb.Release()
}

// TextWriter is a RecordWriter for text datasets with id/text shortcuts.
type TextWriter struct {
	*RecordWriter
	b TextBuilder
}

// NewTextWriter starts a text dataset in dir with TextSchema(extra...).
func NewTextWriter(dir string, extra []arrow.Field, opts ...WriterOption) (*TextWriter, error) {
	schema := TextSchema(extra...)
	rw, err := NewRecordWriter(dir, schema, opts...)
	if err != nil {
		return nil, err
	}
	t := &TextWriter{RecordWriter: rw}
	t.b = TextBuilder{
		schema: schema,
		rb:     rw.rb,
		id:     rw.rb.Field(0).(*array.StringBuilder),
		text:   rw.rb.Field(1).(*array.StringBuilder),
	}
	return t, nil
}

// Builder exposes the row builder so callers can append extra columns
// (through Field) before calling Append for the row.
func (t *TextWriter) Builder() *TextBuilder { return &t.b }

// Append adds a row (after any extras appended through Builder) and writes
// a batch when the buffered rows reach the batch bounds.
func (t *TextWriter) Append(id, text string) error {
	t.b.Append(id, text)
	return t.RowDone(len(id) + len(text))
}

// AppendBytes is Append from byte slices.
func (t *TextWriter) AppendBytes(id, text []byte) error {
	t.b.AppendBytes(id, text)
	return t.RowDone(len(id) + len(text))
}
