package artifact

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/endian"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A shard task reads a row range that may cover a small part of a large
// record batch (ingest writes batches of up to 16 MB). arrow-go reads a
// batch's whole body, so tasks whose ranges share a batch would each read
// and page in all of it. For flat schemas the byte ranges of rows [lo, hi)
// follow from the message header's buffer table, so only those are read.

// rangeReadable reports whether rows of batches with this schema can be
// read by readRowRange: little-endian, every column fixed-width (byte
// aligned or boolean) or variable-length binary or string.
func rangeReadable(schema *arrow.Schema) bool {
	if schema.Endianness() != endian.NativeEndian || endian.NativeEndian != endian.LittleEndian {
		return false
	}
	for _, f := range schema.Fields() {
		if _, ok := rangeLayout(f.Type); !ok {
			return false
		}
	}
	return true
}

// columnLayout is how a flat column's values are laid out: bits per value
// for fixed-width types, or the width of the offsets of a variable-length
// one.
type columnLayout struct {
	bits    int // fixed width: 1 (boolean) or a multiple of 8
	offsets int // variable length: 4 or 8 bytes per offset
}

func rangeLayout(t arrow.DataType) (columnLayout, bool) {
	switch t.ID() {
	case arrow.STRING, arrow.BINARY:
		return columnLayout{offsets: 4}, true
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return columnLayout{offsets: 8}, true
	case arrow.EXTENSION, arrow.DICTIONARY:
		return columnLayout{}, false
	}
	fw, ok := t.(arrow.FixedWidthDataType)
	if !ok {
		return columnLayout{}, false
	}
	bits := fw.BitWidth()
	if bits != 1 && (bits <= 0 || bits%8 != 0) {
		return columnLayout{}, false
	}
	return columnLayout{bits: bits}, true
}

// ipcBuffer is a buffer of a message body: its offset and length.
type ipcBuffer struct{ off, len int64 }

// readRowRange reads rows [lo, hi) of the record batch in blk from r,
// reading only their bytes, and returns them validated against schema,
// which rangeReadable must accept.
func readRowRange(r io.ReaderAt, blk ipcBlock, lo, hi int64, schema *arrow.Schema) (rec arrow.RecordBatch, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, err = nil, fmt.Errorf("corrupt record batch: %v", p)
		}
	}()
	meta, _, err := readMessageMeta(r, blk.off, blk.off+blk.meta)
	if err != nil || meta == nil {
		return nil, errors.Join(errIPCMeta, err)
	}
	if typ, _, _, err := verifyMessage(meta, ipcNoDict); err != nil || typ != fbMsgRecordBatch {
		return nil, errors.Join(errIPCMeta, err)
	}
	m, _ := fbuf(meta).root()
	h, _, _ := m.sub(2)
	rows, _ := h.i64At(0)
	if lo < 0 || lo > hi || hi > rows {
		return nil, fmt.Errorf("rows [%d, %d) of a batch of %d", lo, hi, rows)
	}
	nodeAt, nNodes, _ := h.vector(1, 16)
	bufAt, nBufs, _ := h.vector(2, 16)
	if nNodes != schema.NumFields() {
		return nil, fmt.Errorf("%d field nodes for %d columns", nNodes, schema.NumFields())
	}
	body := blk.off + blk.meta
	buffer := func(i int) (ipcBuffer, error) {
		if i >= nBufs {
			return ipcBuffer{}, fmt.Errorf("%d buffers, more needed", nBufs)
		}
		p := bufAt + 16*i
		b := ipcBuffer{int64(binary.LittleEndian.Uint64(meta[p:])), int64(binary.LittleEndian.Uint64(meta[p+8:]))}
		if b.off < 0 || b.len < 0 || b.off > blk.body || b.len > blk.body-b.off {
			return ipcBuffer{}, errors.New("buffer does not fit the message body")
		}
		return b, nil
	}
	// Each column starts at a whole byte of its bitmaps: from row lo8, with
	// the arrays offset by lo-lo8 rows.
	lo8 := lo &^ 7
	skew := lo - lo8
	cols := make([]arrow.Array, 0, nNodes)
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	next := 0
	for i, f := range schema.Fields() {
		p := nodeAt + 16*i
		length := int64(binary.LittleEndian.Uint64(meta[p:]))
		nulls := int64(binary.LittleEndian.Uint64(meta[p+8:]))
		if length != rows || nulls < 0 || nulls > length {
			return nil, fmt.Errorf("column %q: %d values and %d nulls in a batch of %d rows", f.Name, length, nulls, rows)
		}
		layout, _ := rangeLayout(f.Type)
		bufs := make([]*memory.Buffer, 2, 3)
		read := func(b ipcBuffer, from, to int64) ([]byte, error) {
			if from < 0 || from > to || to > b.len {
				return nil, fmt.Errorf("column %q: buffer of %d bytes is too short", f.Name, b.len)
			}
			out := make([]byte, to-from)
			if _, err := r.ReadAt(out, body+b.off+from); err != nil {
				return nil, fmt.Errorf("column %q: %w", f.Name, err)
			}
			return out, nil
		}
		validity, err := buffer(next)
		if err != nil {
			return nil, err
		}
		next++
		if nulls > 0 {
			bits, err := read(validity, lo8/8, (hi+7)/8)
			if err != nil {
				return nil, err
			}
			bufs[0] = memory.NewBufferBytes(bits)
		}
		values, err := buffer(next)
		if err != nil {
			return nil, err
		}
		next++
		switch {
		case layout.bits == 1:
			b, err := read(values, lo8/8, (hi+7)/8)
			if err != nil {
				return nil, err
			}
			bufs[1] = memory.NewBufferBytes(b)
		case layout.bits > 0:
			w := int64(layout.bits / 8)
			b, err := read(values, lo8*w, hi*w)
			if err != nil {
				return nil, err
			}
			bufs[1] = memory.NewBufferBytes(b)
		default:
			data, err := buffer(next)
			if err != nil {
				return nil, err
			}
			next++
			w := int64(layout.offsets)
			offs, err := read(values, lo8*w, (hi+1)*w)
			if err != nil {
				return nil, err
			}
			from, to, err := rebaseOffsets(offs, layout.offsets)
			if err != nil {
				return nil, fmt.Errorf("column %q: %w", f.Name, err)
			}
			b, err := read(data, from, to)
			if err != nil {
				return nil, err
			}
			bufs[1] = memory.NewBufferBytes(offs)
			bufs = append(bufs, memory.NewBufferBytes(b))
		}
		nullCount := array.UnknownNullCount // counted from the bitmap when asked
		if nulls == 0 {
			nullCount = 0
		}
		d := array.NewData(f.Type, int(hi-lo), bufs, nil, nullCount, int(skew))
		cols = append(cols, array.MakeFromData(d))
		d.Release()
	}
	rec = array.NewRecordBatch(schema, cols, hi-lo)
	if err := validateBatch(rec, schema); err != nil {
		rec.Release()
		return nil, err
	}
	return rec, nil
}

// rebaseOffsets makes the offsets in b (little-endian, w bytes each) count
// from the first, which must not exceed the last, and returns the first
// and last as they were: the byte range of the values they cover.
func rebaseOffsets(b []byte, w int) (from, to int64, err error) {
	n := len(b) / w
	at := func(i int) int64 {
		if w == 4 {
			return int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
		return int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	from, to = at(0), at(n-1)
	if from < 0 || to < from {
		return 0, 0, fmt.Errorf("offsets run from %d to %d", from, to)
	}
	for i := range n {
		v := at(i) - from
		if w == 4 {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(int32(v)))
		} else {
			binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
		}
	}
	return from, to, nil
}
