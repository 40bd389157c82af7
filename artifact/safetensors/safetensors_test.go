package safetensors

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"strings"
	"testing"
)

func sample(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := Write(&buf, []Tensor{
		Float32Tensor("a.weight", []int64{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
		Float32Tensor("b", []int64{1}, []float32{-7}),
		{Name: "h", DType: F16, Shape: []int64{2}, Data: []byte{0x00, 0x3c, 0x00, 0xc0}},   // 1, -2
		{Name: "bf", DType: BF16, Shape: []int64{2}, Data: []byte{0x80, 0x3f, 0x40, 0x40}}, // 1, 3
	}, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	b := sample(t)
	n := binary.LittleEndian.Uint64(b)
	if n%8 != 0 {
		t.Fatalf("header length %d not a multiple of 8", n)
	}
	f, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["format"] != "pt" {
		t.Fatalf("metadata %v", f.Metadata)
	}
	cases := map[string][]float32{"a.weight": {1, 2, 3, 4, 5, 6}, "b": {-7}, "h": {1, -2}, "bf": {1, 3}}
	for name, want := range cases {
		got, _, err := f.Float32(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s[%d] = %v, want %v", name, i, got[i], want[i])
			}
		}
	}
	var again bytes.Buffer
	if err := Write(&again, []Tensor{Float32Tensor("a.weight", []int64{2, 3}, []float32{1, 2, 3, 4, 5, 6})}, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b[8:]), `{"__metadata__":{"format":"pt"},"a.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}`) {
		t.Errorf("header %q", b[8:8+n])
	}
}

func TestHalf(t *testing.T) {
	for h, want := range map[uint16]float32{0x3c00: 1, 0x0001: 5.9604645e-08, 0x7bff: 65504, 0x8000: float32(math.Copysign(0, -1)), 0x3555: 0.33325195} {
		if got := halfToFloat32(h); got != want {
			t.Errorf("half %#04x = %v, want %v", h, got, want)
		}
	}
}

func withHeader(h string, data int) []byte {
	for len(h)%8 != 0 {
		h += " "
	}
	b := make([]byte, 8+len(h)+data)
	binary.LittleEndian.PutUint64(b, uint64(len(h)))
	copy(b[8:], h)
	return b
}

func TestHostile(t *testing.T) {
	huge := make([]byte, 16)
	binary.LittleEndian.PutUint64(huge, 1<<62)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"short", []byte{1, 2}, "shorter than"},
		{"huge header", huge, "exceeds the"},
		{"header past end", withHeader("{}", 0)[:9], "exceeds the"},
		{"not object", withHeader(`[1]`, 0), "does not start"},
		{"bad json", withHeader(`{"a":`, 0), `tensor "a"`},
		{"unknown dtype", withHeader(`{"a":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}`, 1), "unknown dtype"},
		{"size mismatch", withHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4), "needs 8 bytes"},
		{"reversed offsets", withHeader(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}`, 4), "increasing"},
		{"past end", withHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4), "past the"},
		{"gap", withHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "gap"},
		{"overlap", withHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "overlap"},
		{"trailing data", withHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8), "not described"},
		{"duplicate", withHeader(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), "twice"},
		{"negative shape", withHeader(`{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}`, 0), "negative"},
		{"overflow shape", withHeader(`{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, 0), "overflows"},
		// 2^62 elements fit an int64 but their 2^65 bytes wrap to 0.
		{"overflow bytes", withHeader(`{"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}}`, 0), "overflows"},
		{"missing field", withHeader(`{"a":{"dtype":"U8","shape":[1]}}`, 1), "required"},
		{"bad metadata", withHeader(`{"__metadata__":{"k":1}}`, 0), "__metadata__"},
		{"junk after", withHeader(`{} x`, 0), "trailing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.file)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

// TestWriteSizeOverflow: a shape whose byte size wraps around is refused as
// an overflow, never reported as needing 0 bytes.
func TestWriteSizeOverflow(t *testing.T) {
	for name, shape := range map[string][]int64{
		"elements": {1 << 32, 1 << 32},
		"bytes":    {1 << 62},
	} {
		t.Run(name, func(t *testing.T) {
			err := Write(io.Discard, []Tensor{{Name: "a", DType: F64, Shape: shape}}, nil)
			if err == nil || !strings.Contains(err.Error(), "overflows") || strings.Contains(err.Error(), "needs 0 bytes") {
				t.Fatalf("err = %v, want an overflow", err)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	f.Add(withHeader(`{"__metadata__":{"format":"pt"},"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, 4))
	f.Add(withHeader(`{"a":{"dtype":"BF16","shape":[1,1],"data_offsets":[0,2]},"b":{"dtype":"F32","shape":[],"data_offsets":[2,6]}}`, 6))
	f.Add(withHeader(`{}`, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Parse(b)
		if err != nil {
			return
		}
		for _, info := range file.Tensors {
			if _, _, err := file.Raw(info.Name); err != nil {
				t.Fatal(err)
			}
			file.Float32(info.Name)
		}
	})
}
