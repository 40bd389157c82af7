package tfevents

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// MaxRecord bounds the payload length a reader accepts: a corrupt length
// must not make it allocate gigabytes. Scalar events are tens of bytes.
const MaxRecord = 16 << 20

// ReadAll reads every event of an event file. A truncated final record
// (a writer killed mid-write) ends the events without error; a checksum
// mismatch or a malformed event is an error naming the record's offset.
func ReadAll(r io.Reader) ([]Event, error) {
	var out []Event
	var offset int64
	for {
		payload, n, err := readRecord(r)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("record at byte %d: %w", offset, err)
		}
		e, err := unmarshal(payload)
		if err != nil {
			return out, fmt.Errorf("event at byte %d: %w", offset, err)
		}
		out = append(out, e)
		offset += n
	}
}

func readRecord(r io.Reader) ([]byte, int64, error) {
	var head [12]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, 0, err
	}
	if got, want := binary.LittleEndian.Uint32(head[8:]), maskedCRC(head[:8]); got != want {
		return nil, 0, fmt.Errorf("length checksum %08x, want %08x", got, want)
	}
	n := binary.LittleEndian.Uint64(head[:8])
	if n > MaxRecord {
		return nil, 0, fmt.Errorf("record of %d bytes exceeds the %d-byte limit", n, MaxRecord)
	}
	payload := make([]byte, n+4)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, 0, err
	}
	data, sum := payload[:n], binary.LittleEndian.Uint32(payload[n:])
	if want := maskedCRC(data); sum != want {
		return nil, 0, fmt.Errorf("data checksum %08x, want %08x", sum, want)
	}
	return data, int64(12 + n + 4), nil
}

// field is one decoded protobuf field.
type field struct {
	num, wire int
	varint    uint64
	bytes     []byte
}

// fields splits a protobuf message into its fields.
func fields(b []byte) ([]field, error) {
	var out []field
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errors.New("bad field tag")
		}
		b = b[n:]
		f := field{num: int(tag >> 3), wire: int(tag & 7)}
		switch f.wire {
		case wireVarint:
			if f.varint, n = binary.Uvarint(b); n <= 0 {
				return nil, fmt.Errorf("field %d: bad varint", f.num)
			}
			b = b[n:]
		case wireFixed64:
			if len(b) < 8 {
				return nil, fmt.Errorf("field %d: truncated fixed64", f.num)
			}
			f.varint, b = binary.LittleEndian.Uint64(b), b[8:]
		case wireFixed32:
			if len(b) < 4 {
				return nil, fmt.Errorf("field %d: truncated fixed32", f.num)
			}
			f.varint, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		case wireBytes:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return nil, fmt.Errorf("field %d: bad length", f.num)
			}
			f.bytes, b = b[n:n+int(l)], b[n+int(l):]
		default:
			return nil, fmt.Errorf("field %d: unsupported wire type %d", f.num, f.wire)
		}
		out = append(out, f)
	}
	return out, nil
}

// unmarshal decodes the fields of a tensorflow.Event this package knows,
// skipping the others (graphs, histograms, images).
func unmarshal(b []byte) (Event, error) {
	var e Event
	fs, err := fields(b)
	if err != nil {
		return e, err
	}
	for _, f := range fs {
		switch {
		case f.num == eventWallTime && f.wire == wireFixed64:
			e.WallTime = math.Float64frombits(f.varint)
		case f.num == eventStep && f.wire == wireVarint:
			e.Step = int64(f.varint)
		case f.num == eventFileVersion && f.wire == wireBytes:
			e.FileVersion = string(f.bytes)
		case f.num == eventSummary && f.wire == wireBytes:
			vs, err := summaryValues(f.bytes)
			if err != nil {
				return e, fmt.Errorf("summary: %w", err)
			}
			e.Values = append(e.Values, vs...)
		}
	}
	return e, nil
}

func summaryValues(b []byte) ([]Value, error) {
	fs, err := fields(b)
	if err != nil {
		return nil, err
	}
	var out []Value
	for _, f := range fs {
		if f.num != summaryValue || f.wire != wireBytes {
			continue
		}
		vfs, err := fields(f.bytes)
		if err != nil {
			return nil, err
		}
		var v Value
		simple := false
		for _, vf := range vfs {
			switch {
			case vf.num == valueTag && vf.wire == wireBytes:
				v.Tag = string(vf.bytes)
			case vf.num == valueSimple && vf.wire == wireFixed32:
				v.Value, simple = math.Float32frombits(uint32(vf.varint)), true
			}
		}
		if simple {
			out = append(out, v)
		}
	}
	return out, nil
}
