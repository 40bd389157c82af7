// Package safetensors reads and writes the safetensors format
// (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length, a JSON header mapping tensor names to dtype, shape and data
// offsets (plus an optional "__metadata__" string map), padded with spaces
// to a multiple of 8, then the raw little-endian tensor bytes.
//
// The reader treats files as untrusted: header size, JSON shape, dtypes,
// shapes, offsets, overlaps and gaps are all checked before any tensor is
// handed out, and every failure is an error naming the tensor and field.
// Files are written deterministically: tensors in the order given, header
// keys in that order, metadata keys sorted.
package safetensors
