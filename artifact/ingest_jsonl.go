package artifact

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// colType is the Arrow type chosen for a pass-through JSONL field.
type colType uint8

const (
	colString colType = iota
	colBool
	colInt
	colFloat
	colJSON // utf8 holding the value's JSON text
)

// extraCol is one pass-through JSONL field.
type extraCol struct {
	key  string // field name in the input
	name string // column name in the output
	typ  colType
	mask uint8 // kinds seen (bit per jsonKind), during inference
}

// jsonlState is the per-ingest JSONL state, reused across rows.
type jsonlState struct {
	chk    JSONLChecker // the shared row policy; holds the row's fields
	cols   []extraCol
	index  map[string]int // input key -> extras index
	slots  []int          // per extra: field index in this row, or -1
	keyBuf []byte
	text   []byte
	id     []byte
	arena  []byte // decoded string extras of this row
	spans  [][2]int
}

// jsonl ingests JSONL: a first pass infers the pass-through columns (unless
// Extra is "none"), the second writes rows.
func (in *ingester) jsonl(paths []string) error {
	st := &jsonlState{index: map[string]int{}}
	if in.opt.Extra == "auto" {
		in.total *= 2
		for _, p := range paths {
			if err := in.jsonlFile(p, "", st, true); err != nil {
				return err
			}
		}
	}
	fields := in.jsonlColumns(st)
	if err := in.start(TextSchema(fields...)); err != nil {
		return err
	}
	for i, p := range paths {
		if err := in.jsonlFile(p, in.names[i], st, false); err != nil {
			return err
		}
		in.stats.Files++
	}
	return in.finish()
}

// jsonlColumns fixes the type and output name of every inferred extra
// field and returns the extra schema fields.
func (in *ingester) jsonlColumns(st *jsonlState) []arrow.Field {
	fields := make([]arrow.Field, len(st.cols))
	used := map[string]bool{ColID: true, ColText: true}
	for i := range st.cols {
		c := &st.cols[i]
		c.typ = typeFromMask(c.mask)
		c.name = c.key
		for used[c.name] {
			c.name = "orig_" + c.name
		}
		used[c.name] = true
		fields[i] = arrow.Field{Name: c.name, Type: c.typ.arrow(), Nullable: true}
		if c.typ == colJSON {
			fields[i].Metadata = arrow.NewMetadata([]string{"encoding"}, []string{"json"})
		}
	}
	st.slots = make([]int, len(st.cols))
	st.spans = make([][2]int, len(st.cols))
	return fields
}

func typeFromMask(m uint8) colType {
	m &^= 1 << jsonNull
	switch m {
	case 0, 1 << jsonString:
		return colString
	case 1 << jsonBool:
		return colBool
	case 1 << jsonInt:
		return colInt
	case 1 << jsonFloat, 1<<jsonInt | 1<<jsonFloat:
		return colFloat
	default:
		return colJSON
	}
}

func (t colType) arrow() arrow.DataType {
	switch t {
	case colBool:
		return arrow.FixedWidthTypes.Boolean
	case colInt:
		return arrow.PrimitiveTypes.Int64
	case colFloat:
		return arrow.PrimitiveTypes.Float64
	default:
		return arrow.BinaryTypes.String
	}
}

// jsonlFile reads one file; with infer set it only collects extra fields.
func (in *ingester) jsonlFile(path, name string, st *jsonlState, infer bool) error {
	r, closeFn, err := openInput(path, &in.done)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer closeFn()
	start := in.done
	defer func() {
		if !infer {
			in.stats.InputBytes += in.done - start
		}
	}()
	return in.jsonlStream(r, path, name, st, infer)
}

// jsonlStream reads JSONL lines from r; path names the input in errors.
func (in *ingester) jsonlStream(r io.Reader, path, name string, st *jsonlState, infer bool) error {
	lr := newLineReader(r, MaxLineBytes)
	for {
		line, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if lr.line == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if lr.line%4096 == 0 {
			if err := in.ctx.Err(); err != nil {
				return err
			}
		}
		switch {
		case err == ErrLineTooLong:
			if !infer {
				if err := in.bad(path, "", lr.line, err); err != nil {
					return err
				}
			}
			continue
		case err != nil:
			return fmt.Errorf("%s:%d: %w", path, lr.line, err)
		case isBlank(line):
			if !infer {
				in.stats.Blank++
			}
			continue
		}
		if infer {
			if err := in.inferRow(st, line); err != nil {
				return fmt.Errorf("%s:%d: %w", path, lr.line, err)
			}
			continue
		}
		if err := in.jsonlRow(st, name, lr.line, line); err != nil {
			if err := in.bad(path, "", lr.line, err); err != nil {
				return err
			}
			continue
		}
		if err := in.rowDone(len(line)); err != nil {
			return err
		}
	}
}

// fieldKey returns a member's name, unescaped into st.keyBuf when needed.
func (st *jsonlState) fieldKey(f *jsonField) ([]byte, error) {
	if !f.keyEsc {
		return f.key, nil
	}
	var err error
	st.keyBuf, err = appendUnescaped(st.keyBuf[:0], f.key)
	return st.keyBuf, err
}

// inferRow records the kinds of a row's extra fields; rows that do not
// parse are left for the write pass to report.
func (in *ingester) inferRow(st *jsonlState, line []byte) error {
	if st.chk.Check(line) != nil {
		return nil
	}
	for i := range st.chk.sc.fields {
		f := &st.chk.sc.fields[i]
		key, err := st.fieldKey(f)
		if err != nil || string(key) == in.opt.TextField || string(key) == in.opt.IDField {
			continue
		}
		j, ok := st.index[string(key)]
		if !ok {
			if len(st.cols) >= maxExtraColumns {
				return fmt.Errorf("more than %d distinct fields besides text and id; set extra = \"none\" to drop them", maxExtraColumns)
			}
			j = len(st.cols)
			st.index[string(key)] = j
			st.cols = append(st.cols, extraCol{key: string(key)})
		}
		st.cols[j].mask |= 1 << f.kind
	}
	return nil
}

// jsonlRow validates and decodes one row, then appends it to the builder.
// Nothing is appended unless the whole row is good.
func (in *ingester) jsonlRow(st *jsonlState, name string, lineNo int64, line []byte) error {
	if err := st.chk.Check(line); err != nil {
		return err
	}
	textIdx, idIdx := -1, -1
	for i := range st.slots {
		st.slots[i] = -1
	}
	for i := range st.chk.sc.fields {
		f := &st.chk.sc.fields[i]
		key, err := st.fieldKey(f)
		if err != nil {
			return fmt.Errorf("field name: %w", err)
		}
		switch string(key) {
		case in.opt.TextField:
			textIdx = i
		case in.opt.IDField:
			idIdx = i
		default:
			if j, ok := st.index[string(key)]; ok {
				st.slots[j] = i
			}
		}
	}
	if textIdx < 0 {
		return fmt.Errorf("missing field %q", in.opt.TextField)
	}
	tf := &st.chk.sc.fields[textIdx]
	if tf.kind != jsonString {
		return fmt.Errorf("field %q is %s %s, want a string", in.opt.TextField, article(tf.kind), tf.kind)
	}
	var err error
	if st.text, err = decodeString(st.text[:0], tf); err != nil {
		return fmt.Errorf("field %q: %w", in.opt.TextField, err)
	}
	if st.id, err = in.jsonlID(st, name, lineNo, idIdx); err != nil {
		return err
	}
	st.arena = st.arena[:0]
	for j, fi := range st.slots {
		if fi < 0 || st.cols[j].typ != colString || st.chk.sc.fields[fi].kind != jsonString {
			continue
		}
		s := len(st.arena)
		if st.arena, err = decodeString(st.arena, &st.chk.sc.fields[fi]); err != nil {
			return fmt.Errorf("field %q: %w", st.cols[j].key, err)
		}
		st.spans[j] = [2]int{s, len(st.arena)}
	}
	for j, fi := range st.slots {
		if err := in.appendExtra(st, j, fi); err != nil {
			return err
		}
	}
	in.b.AppendBytes(st.id, st.text)
	return nil
}

func article(k jsonKind) string {
	if k == jsonInt || k == jsonObject || k == jsonArray {
		return "an"
	}
	return "a"
}

// jsonlID decodes the id field or generates "<name>:<line>".
func (in *ingester) jsonlID(st *jsonlState, name string, lineNo int64, idx int) ([]byte, error) {
	if idx >= 0 {
		f := &st.chk.sc.fields[idx]
		switch f.kind {
		case jsonString:
			id, err := decodeString(st.id[:0], f)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", in.opt.IDField, err)
			}
			return id, nil
		case jsonInt, jsonFloat:
			return append(st.id[:0], f.val...), nil
		case jsonNull:
		default:
			return nil, fmt.Errorf("field %q is %s %s, want a string or a number", in.opt.IDField, article(f.kind), f.kind)
		}
	}
	return strconv.AppendInt(append(append(st.id[:0], name...), ':'), lineNo, 10), nil
}

// appendExtra appends extra column j from field fi (or null). Values were
// validated by the scanner, so conversions cannot fail on good input.
func (in *ingester) appendExtra(st *jsonlState, j, fi int) error {
	b := in.b.Field(2 + j)
	if fi < 0 || st.chk.sc.fields[fi].kind == jsonNull {
		b.AppendNull()
		return nil
	}
	f := &st.chk.sc.fields[fi]
	switch st.cols[j].typ {
	case colBool:
		b.(*array.BooleanBuilder).Append(f.val[0] == 't')
	case colInt:
		v, err := strconv.ParseInt(string(f.val), 10, 64)
		if err != nil {
			return errors.New("bug in llmflow: integer column got " + string(f.val))
		}
		b.(*array.Int64Builder).Append(v)
	case colFloat:
		v, err := strconv.ParseFloat(string(f.val), 64)
		if err != nil {
			// Literals beyond float64 range are valid JSON; keep ±Inf as ParseFloat does.
			var ne *strconv.NumError
			if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
				return errors.New("bug in llmflow: number column got " + string(f.val))
			}
		}
		b.(*array.Float64Builder).Append(v)
	case colString:
		if f.kind != jsonString {
			return errors.New("bug in llmflow: string column got " + f.kind.String())
		}
		sp := st.spans[j]
		b.(*array.StringBuilder).BinaryBuilder.Append(st.arena[sp[0]:sp[1]])
	case colJSON:
		b.(*array.StringBuilder).BinaryBuilder.Append(f.val)
	}
	return nil
}

// decodeString appends the decoded value of a string field to dst.
func decodeString(dst []byte, f *jsonField) ([]byte, error) {
	raw := f.val[1 : len(f.val)-1]
	if !f.esc {
		return append(dst, raw...), nil
	}
	return appendUnescaped(dst, raw)
}
