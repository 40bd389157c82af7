package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/llmflow/llmflow/artifact"
)

// Tensor is one tensor to write: raw little-endian bytes of DType with Shape.
type Tensor struct {
	Name  string
	DType DType
	Shape []int64
	Data  []byte
}

// Float32Tensor builds an F32 tensor; the values are copied.
func Float32Tensor(name string, shape []int64, v []float32) Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return Tensor{Name: name, DType: F32, Shape: shape, Data: b}
}

// Write writes tensors (in the given order) and metadata to w.
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	hdr, err := header(tensors, metadata)
	if err != nil {
		return err
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(hdr)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	for _, t := range tensors {
		if _, err := w.Write(t.Data); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes the file atomically: to a temporary name in the same
// directory, then renamed over path.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	err := artifact.WriteAtomic(path, func(w io.Writer) error { return Write(w, tensors, metadata) })
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func header(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	if metadata != nil {
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			vb, _ := json.Marshal(metadata[k])
			buf.Write(kb)
			buf.WriteByte(':')
			buf.Write(vb)
		}
		buf.WriteByte('}')
	}
	seen := map[string]bool{}
	var off int64
	for i, t := range tensors {
		if t.Name == "__metadata__" || t.Name == "" || seen[t.Name] {
			return nil, fmt.Errorf("safetensors: tensor %d: invalid or duplicate name %q", i, t.Name)
		}
		seen[t.Name] = true
		if t.DType.Size() == 0 {
			return nil, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", t.Name, t.DType)
		}
		size, err := t.DType.byteSize(t.Shape)
		if err != nil {
			return nil, fmt.Errorf("safetensors: tensor %q: %w", t.Name, err)
		}
		if size != int64(len(t.Data)) {
			return nil, fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d bytes, have %d", t.Name, t.Shape, t.DType, size, len(t.Data))
		}
		if metadata != nil || i > 0 {
			buf.WriteByte(',')
		}
		nb, _ := json.Marshal(t.Name)
		shape := t.Shape
		if shape == nil {
			shape = []int64{}
		}
		sb, _ := json.Marshal(shape)
		buf.Write(nb)
		fmt.Fprintf(&buf, `:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, t.DType, sb, off, off+int64(len(t.Data)))
		off += int64(len(t.Data))
	}
	buf.WriteByte('}')
	for buf.Len()%8 != 0 {
		buf.WriteByte(' ')
	}
	return buf.Bytes(), nil
}
