package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// MaxHeaderSize bounds the JSON header; larger claims are rejected before
// anything is allocated (the reference implementation uses 100 MB).
const MaxHeaderSize = 100 << 20

// Info describes one tensor of a file.
type Info struct {
	Name  string
	DType DType
	Shape []int64
	// Begin and End are byte offsets into the data section.
	Begin, End int64
}

// File is a parsed safetensors file held in memory.
type File struct {
	Metadata map[string]string
	Tensors  []Info // in header order
	data     []byte
	byName   map[string]int
}

// ReadFile reads and validates the safetensors file at path.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Read reads a whole safetensors stream from r.
func Read(r io.Reader) (*File, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse validates b as a safetensors file. The returned File refers to b.
func Parse(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, errors.New("safetensors: file shorter than the 8-byte header length")
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the %d bytes after it", n, len(b)-8)
	}
	hdr := b[8 : 8+n]
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, errors.New("safetensors: header does not start with '{'")
	}
	f := &File{data: b[8+n:], byName: map[string]int{}}
	if err := f.parseHeader(hdr); err != nil {
		return nil, err
	}
	if err := f.checkLayout(); err != nil {
		return nil, err
	}
	return f, nil
}

type rawInfo struct {
	DType       *string  `json:"dtype"`
	Shape       *[]int64 `json:"shape"`
	DataOffsets *[]int64 `json:"data_offsets"`
}

// parseHeader walks the top-level object token by token so that duplicate
// names are caught (a map decode would keep the last silently).
func (f *File) parseHeader(hdr []byte) error {
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("safetensors: header: %v", err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("safetensors: header: %v", err)
		}
		name, ok := tok.(string)
		if !ok {
			return fmt.Errorf("safetensors: header: unexpected %v", tok)
		}
		if name == "__metadata__" {
			if f.Metadata != nil {
				return errors.New("safetensors: header: __metadata__ appears twice")
			}
			f.Metadata = map[string]string{}
			if err := dec.Decode(&f.Metadata); err != nil {
				return fmt.Errorf("safetensors: header: __metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		if _, dup := f.byName[name]; dup {
			return fmt.Errorf("safetensors: header: tensor %q appears twice", name)
		}
		var ri rawInfo
		if err := dec.Decode(&ri); err != nil {
			return fmt.Errorf("safetensors: tensor %q: %v", name, err)
		}
		info, err := checkInfo(name, ri)
		if err != nil {
			return err
		}
		f.byName[name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, info)
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("safetensors: header: %v", err)
	}
	// Only padding may follow the object.
	rest, _ := io.ReadAll(dec.Buffered())
	off := dec.InputOffset()
	if len(bytes.Trim(hdr[off:], " \t\r\n\x00")) != 0 || len(bytes.Trim(rest, " \t\r\n\x00")) != 0 {
		return errors.New("safetensors: header: trailing data after the JSON object")
	}
	return nil
}

func checkInfo(name string, ri rawInfo) (Info, error) {
	if ri.DType == nil || ri.Shape == nil || ri.DataOffsets == nil {
		return Info{}, fmt.Errorf("safetensors: tensor %q: dtype, shape and data_offsets are all required", name)
	}
	d := DType(*ri.DType)
	if d.Size() == 0 {
		return Info{}, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, *ri.DType)
	}
	offs := *ri.DataOffsets
	if len(offs) != 2 {
		return Info{}, fmt.Errorf("safetensors: tensor %q: data_offsets must hold [begin, end], got %d values", name, len(offs))
	}
	if offs[0] < 0 || offs[1] < offs[0] {
		return Info{}, fmt.Errorf("safetensors: tensor %q: data_offsets [%d, %d] are not an increasing range", name, offs[0], offs[1])
	}
	size, err := d.byteSize(*ri.Shape)
	if err != nil {
		return Info{}, fmt.Errorf("safetensors: tensor %q: %w", name, err)
	}
	if size != offs[1]-offs[0] {
		return Info{}, fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d bytes but data_offsets span %d",
			name, *ri.Shape, d, size, offs[1]-offs[0])
	}
	return Info{Name: name, DType: d, Shape: *ri.Shape, Begin: offs[0], End: offs[1]}, nil
}

// checkLayout requires the tensors to tile the data section exactly: no
// overlap, no gap, nothing past the end and nothing left over.
func (f *File) checkLayout() error {
	idx := make([]int, len(f.Tensors))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ta, tb := f.Tensors[idx[a]], f.Tensors[idx[b]]
		if ta.Begin != tb.Begin {
			return ta.Begin < tb.Begin
		}
		return ta.End < tb.End
	})
	var pos int64
	for _, i := range idx {
		t := f.Tensors[i]
		switch {
		case t.Begin < pos:
			return fmt.Errorf("safetensors: tensor %q: data_offsets [%d, %d] overlap the previous tensor ending at %d", t.Name, t.Begin, t.End, pos)
		case t.Begin > pos:
			return fmt.Errorf("safetensors: tensor %q: gap of %d bytes before data_offsets [%d, %d]", t.Name, t.Begin-pos, t.Begin, t.End)
		case t.End > int64(len(f.data)):
			return fmt.Errorf("safetensors: tensor %q: data_offsets end %d past the %d-byte data section", t.Name, t.End, len(f.data))
		}
		pos = t.End
	}
	if pos != int64(len(f.data)) {
		return fmt.Errorf("safetensors: %d bytes after the last tensor are not described by the header", int64(len(f.data))-pos)
	}
	return nil
}

// Info returns the description of tensor name.
func (f *File) Info(name string) (Info, bool) {
	i, ok := f.byName[name]
	if !ok {
		return Info{}, false
	}
	return f.Tensors[i], true
}

// Raw returns the bytes of tensor name (a view into the file).
func (f *File) Raw(name string) ([]byte, Info, error) {
	t, ok := f.Info(name)
	if !ok {
		return nil, Info{}, fmt.Errorf("safetensors: no tensor %q", name)
	}
	return f.data[t.Begin:t.End], t, nil
}

// Float32 returns tensor name converted to float32 (from F32, F16, BF16 or
// F64) with its shape.
func (f *File) Float32(name string) ([]float32, []int64, error) {
	raw, t, err := f.Raw(name)
	if err != nil {
		return nil, nil, err
	}
	v, err := decodeFloat32(t.DType, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: tensor %q: %v", name, err)
	}
	return v, t.Shape, nil
}
