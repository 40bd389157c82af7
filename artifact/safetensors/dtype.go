package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DType is a safetensors element type name.
type DType string

// Element types of the safetensors specification.
const (
	F64  DType = "F64"
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

// Size is the width of one element in bytes, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case F64, I64:
		return 8
	case F32, I32:
		return 4
	case F16, BF16, I16:
		return 2
	case I8, U8, Bool:
		return 1
	}
	return 0
}

// byteSize returns the bytes a tensor of dtype d and shape takes. It fails
// on a negative dimension or when the size does not fit in an int64, so that
// a hostile shape never wraps around to a small (or zero) size.
func (d DType) byteSize(shape []int64) (int64, error) {
	n := int64(d.Size())
	for i, s := range shape {
		if s < 0 {
			return 0, fmt.Errorf("shape[%d] = %d is negative", i, s)
		}
		if s != 0 && n > math.MaxInt64/s {
			return 0, fmt.Errorf("shape %v of %s overflows: it needs more than %d bytes", shape, d, int64(math.MaxInt64))
		}
		n *= s
	}
	return n, nil
}

// decodeFloat32 converts raw little-endian elements of dtype d to float32.
func decodeFloat32(d DType, raw []byte) ([]float32, error) {
	n := len(raw) / d.Size()
	out := make([]float32, n)
	switch d {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case F16:
		for i := range out {
			out[i] = halfToFloat32(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	case BF16:
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(raw[2*i:])) << 16)
		}
	case F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	default:
		return nil, fmt.Errorf("dtype %s is not a floating-point type", d)
	}
	return out, nil
}

// halfToFloat32 converts an IEEE 754 binary16 value.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: renormalise
		e := -1
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | uint32(e-13+127)<<23 | mant<<13)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | mant<<13)
}
