package artifact

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// arrow-go decodes IPC metadata (flatbuffers) without verifying it, and
// sizes some allocations from vector lengths read there, so a hostile file
// can make it allocate terabytes — a fatal error, not a panic that recover
// can catch. Before handing a file to arrow-go we walk its footer, schema
// and every message header ourselves and check every offset and vector
// length against the buffer. Features llmflow datasets never use and that
// widen the attack surface (dictionaries, compressed bodies, view types) are
// refused; ingest inputs may hold dictionaries (ipcDict), which ingest
// decodes.

const (
	maxIPCMetadata = 16 << 20 // bytes of one flatbuffer (footer or message header)
	maxIPCFields   = 1 << 14  // fields in a schema, counting nested ones
	maxIPCDepth    = 64       // nesting of fields
)

var errIPCMeta = errors.New("corrupt Arrow IPC metadata")

// fbuf is a flatbuffer with bounds-checked accessors.
type fbuf []byte

func (b fbuf) u32(pos int) (int, error) {
	if pos < 0 || pos+4 > len(b) {
		return 0, errIPCMeta
	}
	return int(binary.LittleEndian.Uint32(b[pos:])), nil
}

func (b fbuf) u16(pos int) (int, error) {
	if pos < 0 || pos+2 > len(b) {
		return 0, errIPCMeta
	}
	return int(binary.LittleEndian.Uint16(b[pos:])), nil
}

// fbTable is a verified table position.
type fbTable struct {
	b      fbuf
	pos    int
	vt     int // vtable position
	vtLen  int
	objLen int
}

func (b fbuf) table(pos int) (fbTable, error) {
	soff, err := b.u32(pos)
	if err != nil {
		return fbTable{}, err
	}
	vt := pos - int(int32(uint32(soff)))
	vtLen, err := b.u16(vt)
	if err != nil {
		return fbTable{}, err
	}
	objLen, err := b.u16(vt + 2)
	if err != nil || vtLen < 4 || vtLen%2 != 0 || vt+vtLen > len(b) || objLen < 4 || pos+objLen > len(b) {
		return fbTable{}, errIPCMeta
	}
	return fbTable{b: b, pos: pos, vt: vt, vtLen: vtLen, objLen: objLen}, nil
}

// root returns the root table of a flatbuffer.
func (b fbuf) root() (fbTable, error) {
	off, err := b.u32(0)
	if err != nil {
		return fbTable{}, err
	}
	return b.table(off)
}

// field returns the absolute position of slot's value, or -1 when absent.
func (t fbTable) field(slot, size int) (int, error) {
	e := 4 + 2*slot
	if e+2 > t.vtLen {
		return -1, nil
	}
	off, err := t.b.u16(t.vt + e)
	if err != nil || off == 0 {
		return -1, err
	}
	if off+size > t.objLen {
		return -1, errIPCMeta
	}
	return t.pos + off, nil
}

// ref follows the uoffset stored in slot; -1 when absent.
func (t fbTable) ref(slot int) (int, error) {
	p, err := t.field(slot, 4)
	if p < 0 || err != nil {
		return -1, err
	}
	off, err := t.b.u32(p)
	if err != nil || p+off >= len(t.b) {
		return -1, errIPCMeta
	}
	return p + off, nil
}

func (t fbTable) sub(slot int) (fbTable, bool, error) {
	p, err := t.ref(slot)
	if p < 0 || err != nil {
		return fbTable{}, false, err
	}
	s, err := t.b.table(p)
	return s, err == nil, err
}

// vector returns the start and length of the vector in slot, checking that
// n elements of elemSize bytes fit in the buffer.
func (t fbTable) vector(slot, elemSize int) (int, int, error) {
	p, err := t.ref(slot)
	if p < 0 || err != nil {
		return 0, 0, err
	}
	n, err := t.b.u32(p)
	if err != nil || n > (len(t.b)-p-4)/elemSize {
		return 0, 0, errIPCMeta
	}
	return p + 4, n, nil
}

// tables verifies a vector of tables and calls fn for each.
func (t fbTable) tables(slot int, fn func(fbTable) error) error {
	start, n, err := t.vector(slot, 4)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		p := start + 4*i
		off, _ := t.b.u32(p)
		s, err := t.b.table(p + off)
		if err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

func (t fbTable) byteAt(slot int) (int, error) {
	p, err := t.field(slot, 1)
	if p < 0 || err != nil {
		return 0, err
	}
	return int(t.b[p]), nil
}

func (t fbTable) i64At(slot int) (int64, error) {
	p, err := t.field(slot, 8)
	if p < 0 || err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(t.b[p:])), nil
}

func verifyKeyValues(t fbTable, slot int) error {
	return t.tables(slot, func(kv fbTable) error {
		if _, _, err := kv.vector(0, 1); err != nil {
			return err
		}
		_, _, err := kv.vector(1, 1)
		return err
	})
}

// ipcDict selects whether dictionary-encoded columns are accepted.
type ipcDict bool

const (
	ipcNoDict    ipcDict = false // dataset shards
	ipcAllowDict ipcDict = true  // ingest inputs
)

// schemaCheck counts fields across a schema.
type schemaCheck struct {
	fields int
	dict   ipcDict
}

func (c *schemaCheck) schema(s fbTable) error {
	if err := s.tables(1, func(f fbTable) error { return c.field(f, 0) }); err != nil {
		return err
	}
	if err := verifyKeyValues(s, 2); err != nil {
		return err
	}
	_, _, err := s.vector(3, 8)
	return err
}

// Arrow Type union tags (format/Schema.fbs).
const (
	fbTypeTimestamp  = 10
	fbTypeUnion      = 14
	fbTypeBinaryView = 23
	fbTypeUtf8View   = 24
)

func (c *schemaCheck) field(f fbTable, depth int) error {
	c.fields++
	if c.fields > maxIPCFields || depth > maxIPCDepth {
		return fmt.Errorf("schema has more than %d fields or nests deeper than %d", maxIPCFields, maxIPCDepth)
	}
	if _, _, err := f.vector(0, 1); err != nil { // name
		return err
	}
	typ, err := f.byteAt(2)
	if err != nil {
		return err
	}
	if typ == fbTypeBinaryView || typ == fbTypeUtf8View {
		return errors.New("string and binary view columns are not supported")
	}
	tt, ok, err := f.sub(3)
	if err != nil {
		return err
	}
	if ok {
		switch typ {
		case fbTypeTimestamp:
			_, _, err = tt.vector(1, 1) // timezone
		case fbTypeUnion:
			_, _, err = tt.vector(1, 4) // typeIds
		}
		if err != nil {
			return err
		}
	}
	if d, ok, err := f.sub(4); err != nil || ok {
		if err != nil {
			return err
		}
		if !c.dict {
			return errors.New("dictionary-encoded columns are not supported")
		}
		if _, _, err := d.sub(1); err != nil { // indexType
			return err
		}
	}
	if err := f.tables(5, func(ch fbTable) error { return c.field(ch, depth+1) }); err != nil {
		return err
	}
	return verifyKeyValues(f, 6)
}

// Message header union tags (format/Message.fbs).
const (
	fbMsgSchema          = 1
	fbMsgDictionaryBatch = 2
	fbMsgRecordBatch     = 3
)

// verifyMessage checks one IPC message header and returns its type,
// declared body length and, for a record batch, its rows.
func verifyMessage(meta []byte, dict ipcDict) (typ int, body, rows int64, err error) {
	b := fbuf(meta)
	m, err := b.root()
	if err != nil {
		return 0, 0, 0, err
	}
	if typ, err = m.byteAt(1); err != nil {
		return 0, 0, 0, err
	}
	body, err = m.i64At(3)
	if err != nil || body < 0 {
		return 0, 0, 0, errIPCMeta
	}
	if err := verifyKeyValues(m, 4); err != nil {
		return 0, 0, 0, err
	}
	h, ok, err := m.sub(2)
	if err != nil || !ok {
		return 0, 0, 0, errIPCMeta
	}
	switch typ {
	case fbMsgSchema:
		c := schemaCheck{dict: dict}
		return typ, body, 0, c.schema(h)
	case fbMsgRecordBatch:
		rows, err := verifyRecordBatch(h)
		return typ, body, rows, err
	case fbMsgDictionaryBatch:
		if !dict {
			return 0, 0, 0, errors.New("dictionaries are not supported")
		}
		data, ok, err := h.sub(1)
		if err != nil || !ok {
			return 0, 0, 0, errIPCMeta
		}
		_, err = verifyRecordBatch(data)
		return typ, body, 0, err
	default:
		return 0, 0, 0, fmt.Errorf("unsupported IPC message type %d (dictionaries are not supported)", typ)
	}
}

// verifyRecordBatch checks a RecordBatch table (also the data of a
// DictionaryBatch) and returns its length in rows.
func verifyRecordBatch(h fbTable) (int64, error) {
	rows, err := h.i64At(0)
	if err != nil || rows < 0 {
		return 0, errIPCMeta
	}
	if _, _, err := h.vector(1, 16); err != nil { // nodes
		return 0, err
	}
	if _, _, err := h.vector(2, 16); err != nil { // buffers
		return 0, err
	}
	if p, err := h.ref(3); err != nil || p >= 0 {
		if err != nil {
			return 0, err
		}
		return 0, errors.New("compressed record batches are not supported")
	}
	if _, n, err := h.vector(4, 8); err != nil || n > 0 {
		if err != nil {
			return 0, err
		}
		return 0, errors.New("variadic buffers are not supported")
	}
	return rows, nil
}

// readMessageMeta reads the metadata of the message at off: an optional
// 0xFFFFFFFF continuation marker, a length, then the flatbuffer. It returns
// the flatbuffer and the offset after it (nil at end-of-stream).
func readMessageMeta(r io.ReaderAt, off, size int64) ([]byte, int64, error) {
	var hdr [8]byte
	if off+4 > size {
		return nil, 0, errIPCMeta
	}
	if _, err := r.ReadAt(hdr[:4], off); err != nil {
		return nil, 0, err
	}
	n := int64(binary.LittleEndian.Uint32(hdr[:4]))
	off += 4
	if n == 0xFFFFFFFF {
		if off+4 > size {
			return nil, 0, errIPCMeta
		}
		if _, err := r.ReadAt(hdr[4:], off); err != nil {
			return nil, 0, err
		}
		n = int64(binary.LittleEndian.Uint32(hdr[4:]))
		off += 4
	}
	if n == 0 {
		return nil, off, nil
	}
	if n > maxIPCMetadata || off+n > size {
		return nil, 0, fmt.Errorf("message header of %d bytes does not fit the file", n)
	}
	meta := make([]byte, n)
	if _, err := r.ReadAt(meta, off); err != nil {
		return nil, 0, err
	}
	return meta, off + n, nil
}

// ipcBlock is a record batch of an IPC file: where its message starts, the
// lengths of its metadata and body as the footer gives them, and its rows
// as its header gives them.
type ipcBlock struct {
	off, meta, body, rows int64
}

// verifyIPCFile checks the footer, schema and every dictionary and record
// batch header of an Arrow IPC file of the given size, and returns the
// record batches' blocks.
func verifyIPCFile(r io.ReaderAt, size int64, dict ipcDict) ([]ipcBlock, error) {
	const magic = "ARROW1"
	tail := int64(len(magic) + 4)
	if size < 8+tail {
		return nil, fmt.Errorf("file too small for the Arrow IPC file format (%d bytes)", size)
	}
	var t [10]byte
	if _, err := r.ReadAt(t[:], size-tail); err != nil {
		return nil, err
	}
	var head [6]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, err
	}
	if string(t[4:]) != magic || string(head[:]) != magic {
		return nil, errors.New("not an Arrow IPC file (missing ARROW1 magic)")
	}
	flen := int64(binary.LittleEndian.Uint32(t[:4]))
	if flen <= 0 || flen > maxIPCMetadata || flen > size-tail-8 {
		return nil, fmt.Errorf("footer length %d does not fit the file", flen)
	}
	footer := make([]byte, flen)
	if _, err := r.ReadAt(footer, size-tail-flen); err != nil {
		return nil, err
	}
	blocks, err := verifyFooter(r, fbuf(footer), size-tail-flen, dict)
	if err != nil {
		return nil, fmt.Errorf("footer: %w", err)
	}
	return blocks, nil
}

func verifyFooter(r io.ReaderAt, b fbuf, end int64, dict ipcDict) ([]ipcBlock, error) {
	f, err := b.root()
	if err != nil {
		return nil, err
	}
	s, ok, err := f.sub(1)
	if err != nil || !ok {
		return nil, errIPCMeta
	}
	c := schemaCheck{dict: dict}
	if err := c.schema(s); err != nil {
		return nil, err
	}
	start, n, err := f.vector(2, 24)
	if err != nil {
		return nil, err
	}
	if n > 0 && !dict {
		return nil, errors.New("dictionaries are not supported")
	}
	if _, err := verifyBlocks(r, b, start, n, end, "dictionary batch", fbMsgDictionaryBatch, dict); err != nil {
		return nil, err
	}
	if err := verifyKeyValues(f, 4); err != nil {
		return nil, err
	}
	start, n, err = f.vector(3, 24)
	if err != nil {
		return nil, err
	}
	return verifyBlocks(r, b, start, n, end, "record batch", fbMsgRecordBatch, dict)
}

// verifyBlocks checks the n footer blocks at start (offset, metadata
// length, body length) and that each holds a message of type want, and
// returns them.
func verifyBlocks(r io.ReaderAt, b fbuf, start, n int, end int64, what string, want int, dict ipcDict) ([]ipcBlock, error) {
	blocks := make([]ipcBlock, 0, min(n, 1<<16))
	for i := 0; i < n; i++ {
		p := start + 24*i
		off := int64(binary.LittleEndian.Uint64(b[p:]))
		metaLen := int64(int32(binary.LittleEndian.Uint32(b[p+8:])))
		body := int64(binary.LittleEndian.Uint64(b[p+16:]))
		if off < 8 || metaLen < 8 || body < 0 || off > end || metaLen > end-off || body > end-off-metaLen {
			return nil, fmt.Errorf("%s %d: block does not fit the file", what, i)
		}
		meta, next, err := readMessageMeta(r, off, off+metaLen)
		if err != nil || meta == nil || next > off+metaLen {
			return nil, fmt.Errorf("%s %d: %w", what, i, errors.Join(errIPCMeta, err))
		}
		typ, mbody, n, err := verifyMessage(meta, dict)
		if err != nil {
			return nil, fmt.Errorf("%s %d: %w", what, i, err)
		}
		if typ != want || mbody > body {
			return nil, fmt.Errorf("%s %d: %w", what, i, errIPCMeta)
		}
		blocks = append(blocks, ipcBlock{off: off, meta: metaLen, body: body, rows: n})
	}
	return blocks, nil
}

// verifyIPCStream checks every message header of an Arrow IPC stream.
func verifyIPCStream(r io.ReaderAt, size int64, dict ipcDict) error {
	var off int64
	for i := 0; off < size; i++ {
		meta, next, err := readMessageMeta(r, off, size)
		if err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
		if meta == nil {
			return nil
		}
		typ, body, _, err := verifyMessage(meta, dict)
		if err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
		if (i == 0) != (typ == fbMsgSchema) {
			return fmt.Errorf("message %d: a stream starts with exactly one schema", i)
		}
		if body > size-next {
			return fmt.Errorf("message %d: body of %d bytes does not fit the file", i, body)
		}
		off = next + body
	}
	return nil
}
