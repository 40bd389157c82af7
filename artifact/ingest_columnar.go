package artifact

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// batchSource yields the record batches of one columnar file. A batch is
// valid until the next call to next.
type batchSource interface {
	schema() *arrow.Schema
	next() (arrow.RecordBatch, error) // io.EOF at the end
	close()
}

// columnarPlan maps an input schema onto the text dataset schema.
type columnarPlan struct {
	text, id int   // column indexes in the input; id -1 when absent
	extras   []int // input columns passed through, in order
	out      *arrow.Schema
}

// columnar ingests Parquet or Arrow IPC files; see IngestOptions.
func (in *ingester) columnar(paths []string, format string) error {
	idB := array.NewStringBuilder(memory.DefaultAllocator)
	textB := array.NewStringBuilder(memory.DefaultAllocator)
	defer idB.Release()
	defer textB.Release()
	for i, p := range paths {
		src, err := openColumnar(p, format, in)
		if err != nil {
			return fmt.Errorf("ingest: %s: %w", p, err)
		}
		err = in.columnarFile(p, in.names[i], src, idB, textB)
		src.close()
		if err != nil {
			return err
		}
		if fi, err := os.Stat(p); err == nil {
			in.stats.InputBytes += fi.Size()
			in.done += fi.Size()
		}
		in.stats.Files++
		in.progress()
	}
	if in.w == nil {
		return errors.New("ingest: no input")
	}
	return in.finish()
}

func (in *ingester) planColumns(path string, s *arrow.Schema) (*columnarPlan, error) {
	pl := &columnarPlan{text: -1, id: -1}
	names := make([]string, 0, s.NumFields())
	for i, f := range s.Fields() {
		names = append(names, f.Name)
		switch f.Name {
		case in.opt.TextField:
			if !isStringLike(f.Type) {
				return nil, fmt.Errorf("%s: column %q is %s, want a string column", path, f.Name, f.Type)
			}
			pl.text = i
		case in.opt.IDField:
			if !isStringLike(f.Type) && !arrow.IsInteger(f.Type.ID()) {
				return nil, fmt.Errorf("%s: column %q is %s, want a string or integer column", path, f.Name, f.Type)
			}
			pl.id = i
		default:
			if in.opt.Extra == "auto" {
				pl.extras = append(pl.extras, i)
			}
		}
	}
	if pl.text < 0 {
		return nil, fmt.Errorf("%s: no column %q (columns: %s)", path, in.opt.TextField, strings.Join(names, ", "))
	}
	used := map[string]bool{ColID: true, ColText: true}
	fields := make([]arrow.Field, len(pl.extras))
	for k, i := range pl.extras {
		f := s.Field(i)
		for used[f.Name] {
			f.Name = "orig_" + f.Name
		}
		used[f.Name] = true
		fields[k] = f
	}
	pl.out = TextSchema(fields...)
	return pl, nil
}

func isStringLike(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW:
		return true
	}
	return false
}

func (in *ingester) columnarFile(path, name string, src batchSource, idB, textB *array.StringBuilder) error {
	plain, err := decodedSchema(src.schema())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	pl, err := in.planColumns(path, plain)
	if err != nil {
		return err
	}
	if in.w == nil {
		if err := in.start(pl.out); err != nil {
			return err
		}
	} else if !pl.out.Equal(in.w.Schema()) {
		return fmt.Errorf("%s: columns {%s} differ from the first input's {%s}", path, SchemaString(pl.out), SchemaString(in.w.Schema()))
	}
	var row int64 // rows of this file before the current batch
	for {
		if err := in.ctx.Err(); err != nil {
			return err
		}
		rec, err := src.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: after row %d: %w", path, row, err)
		}
		if err := validateBatch(rec, rec.Schema()); err != nil {
			return fmt.Errorf("%s: after row %d: %w", path, row, err)
		}
		plainRec, err := decodeDictionaries(in.ctx, rec, plain)
		if err != nil {
			return fmt.Errorf("%s: after row %d: %w", path, row, err)
		}
		err = in.columnarBatch(path, name, row, pl, plainRec, idB, textB)
		plainRec.Release()
		if err != nil {
			return err
		}
		row += rec.NumRows()
	}
}

// columnarBatch converts one batch, writing its good rows in contiguous runs.
func (in *ingester) columnarBatch(path, name string, row int64, pl *columnarPlan, rec arrow.RecordBatch, idB, textB *array.StringBuilder) error {
	n := int(rec.NumRows())
	textCol := rec.Column(pl.text)
	var idCol arrow.Array
	if pl.id >= 0 {
		idCol = rec.Column(pl.id)
	}
	var runs [][2]int
	runStart := -1
	var idBuf []byte
	for i := 0; i < n; i++ {
		text, err := rowText(textCol, i)
		if err == nil {
			if runStart < 0 {
				runStart = i
			}
			idBuf = idBuf[:0]
			if idCol != nil && idCol.IsValid(i) {
				if v, ok := stringValue(idCol, i); ok {
					idBuf = append(idBuf, v...)
				} else {
					idBuf = append(idBuf, idCol.ValueStr(i)...)
				}
				if !utf8.Valid(idBuf) {
					err = fmt.Errorf("column %q: %w", in.opt.IDField, invalidUTF8(idBuf))
				}
			} else {
				idBuf = strconv.AppendInt(append(append(idBuf, name...), ':'), row+int64(i)+1, 10)
			}
		} else {
			err = fmt.Errorf("column %q: %w", in.opt.TextField, err)
		}
		if err != nil {
			if runStart >= 0 {
				runs = append(runs, [2]int{runStart, i})
				runStart = -1
			}
			if err := in.bad(path, "row", row+int64(i)+1, err); err != nil {
				return err
			}
			continue
		}
		idB.BinaryBuilder.Append(idBuf)
		textB.Append(text)
	}
	if runStart >= 0 {
		runs = append(runs, [2]int{runStart, n})
	}
	ids, texts := idB.NewArray(), textB.NewArray()
	defer ids.Release()
	defer texts.Release()
	k := 0
	for _, r := range runs {
		m := r[1] - r[0]
		cols := make([]arrow.Array, 0, 2+len(pl.extras))
		cols = append(cols, array.NewSlice(ids, int64(k), int64(k+m)), array.NewSlice(texts, int64(k), int64(k+m)))
		for _, e := range pl.extras {
			cols = append(cols, array.NewSlice(rec.Column(e), int64(r[0]), int64(r[1])))
		}
		out := array.NewRecordBatch(pl.out, cols, int64(m))
		for _, c := range cols {
			c.Release()
		}
		err := in.w.Write(out)
		out.Release()
		if err != nil {
			return err
		}
		in.stats.Rows += int64(m)
		k += m
	}
	return nil
}

// stringValue returns row i of a string-like column (no copy for strings).
func stringValue(col arrow.Array, i int) (string, bool) {
	switch a := col.(type) {
	case *array.String:
		return a.Value(i), true
	case *array.LargeString:
		return a.Value(i), true
	case *array.StringView:
		return a.Value(i), true
	case *array.Binary:
		return a.ValueString(i), true
	case *array.LargeBinary:
		return a.ValueString(i), true
	case *array.BinaryView:
		return a.ValueString(i), true
	}
	return "", false
}

// rowText checks that row i of a string-like column is a valid, non-null
// string and returns it.
func rowText(col arrow.Array, i int) (string, error) {
	if col.IsNull(i) {
		return "", errors.New("null value, want a string")
	}
	s, ok := stringValue(col, i)
	if !ok {
		return "", fmt.Errorf("unsupported type %s", col.DataType())
	}
	if !utf8.ValidString(s) {
		return "", invalidUTF8([]byte(s))
	}
	return s, nil
}

// openColumnar opens a Parquet or Arrow IPC (file or stream) input,
// turning panics inside the decoders on hostile files into errors.
func openColumnar(path, format string, in *ingester) (src batchSource, err error) {
	defer func() {
		if p := recover(); p != nil {
			src, err = nil, fmt.Errorf("corrupt %s file: %v", format, p)
		}
	}()
	if format == FormatParquet {
		return openParquet(path, in)
	}
	return openArrow(path)
}

type parquetSource struct {
	f  *file.Reader
	rr pqarrow.RecordReader
}

func openParquet(path string, in *ingester) (batchSource, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, err
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: DefaultBatchRows}, memory.DefaultAllocator)
	if err != nil {
		pf.Close()
		return nil, err
	}
	rr, err := fr.GetRecordReader(in.ctx, nil, nil)
	if err != nil {
		pf.Close()
		return nil, err
	}
	return &parquetSource{f: pf, rr: rr}, nil
}

func (p *parquetSource) schema() *arrow.Schema { return p.rr.Schema() }
func (p *parquetSource) close()                { p.rr.Release(); p.f.Close() }
func (p *parquetSource) next() (rec arrow.RecordBatch, err error) {
	defer func() {
		if r := recover(); r != nil {
			rec, err = nil, fmt.Errorf("corrupt parquet data: %v", r)
		}
	}()
	if p.rr.Next() {
		return p.rr.RecordBatch(), nil
	}
	if err := p.rr.Err(); err != nil && err != io.EOF {
		return nil, err
	}
	return nil, io.EOF
}

// arrowSource reads an Arrow IPC file (random access) or stream.
type arrowSource struct {
	f    io.Closer // nil for in-memory input
	fr   *ipc.FileReader
	sr   *ipc.Reader
	i    int
	prev arrow.RecordBatch
}

func openArrow(path string) (batchSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	s, err := newArrowSource(f, fi.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	s.f = f
	return s, nil
}

// newArrowSource verifies and opens the IPC file or stream in r.
func newArrowSource(r ipc.ReadAtSeeker, size int64) (*arrowSource, error) {
	magic := make([]byte, 6)
	n, _ := r.ReadAt(magic, 0)
	s := &arrowSource{}
	var err error
	if n == 6 && bytes.Equal(magic, []byte("ARROW1")) {
		if _, err = verifyIPCFile(r, size, ipcAllowDict); err == nil {
			s.fr, err = ipc.NewFileReader(r)
		}
	} else if err = verifyIPCStream(r, size, ipcAllowDict); err == nil {
		if _, err = r.Seek(0, io.SeekStart); err == nil {
			s.sr, err = ipc.NewReader(r)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("not a readable Arrow IPC file or stream: %w", err)
	}
	return s, nil
}

func (s *arrowSource) schema() *arrow.Schema {
	if s.fr != nil {
		return s.fr.Schema()
	}
	return s.sr.Schema()
}

func (s *arrowSource) close() {
	if s.prev != nil {
		s.prev.Release()
	}
	if s.fr != nil {
		s.fr.Close()
	} else {
		s.sr.Release()
	}
	if s.f != nil {
		s.f.Close()
	}
}

func (s *arrowSource) next() (rec arrow.RecordBatch, err error) {
	defer func() {
		if r := recover(); r != nil {
			rec, err = nil, fmt.Errorf("corrupt record batch: %v", r)
		}
	}()
	if s.prev != nil {
		s.prev.Release()
		s.prev = nil
	}
	if s.fr != nil {
		if s.i >= s.fr.NumRecords() {
			return nil, io.EOF
		}
		rec, err = s.fr.RecordBatchAt(s.i)
		s.i++
		s.prev = rec
		return rec, err
	}
	if s.sr.Next() {
		return s.sr.RecordBatch(), nil
	}
	if err := s.sr.Err(); err != nil && err != io.EOF {
		return nil, err
	}
	return nil, io.EOF
}
