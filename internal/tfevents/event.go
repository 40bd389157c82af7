package tfevents

import (
	"encoding/binary"
	"math"
)

// Event is what this package reads of a tensorflow.Event.
type Event struct {
	WallTime    float64 // seconds since the Unix epoch
	Step        int64
	FileVersion string // set in a file's first event only
	Values      []Value
}

// Value is one scalar of an event's summary.
type Value struct {
	Tag   string
	Value float32
}

// Field numbers and wire types of tensorflow.Event, Summary and
// Summary.Value (tensorflow/core/util/event.proto, summary.proto).
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5

	eventWallTime    = 1 // double
	eventStep        = 2 // int64
	eventFileVersion = 3 // string
	eventSummary     = 5 // Summary
	summaryValue     = 1 // repeated Summary.Value
	valueTag         = 1 // string
	valueSimple      = 2 // float
)

func appendTag(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field<<3|wire))
}

func appendBytes(b []byte, field int, v []byte) []byte {
	b = appendTag(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// marshal encodes e as a tensorflow.Event.
func (e Event) marshal() []byte {
	b := appendTag(nil, eventWallTime, wireFixed64)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.WallTime))
	if e.Step != 0 {
		b = appendTag(b, eventStep, wireVarint)
		b = binary.AppendUvarint(b, uint64(e.Step))
	}
	if e.FileVersion != "" {
		b = appendBytes(b, eventFileVersion, []byte(e.FileVersion))
	}
	if len(e.Values) > 0 {
		var summary []byte
		for _, v := range e.Values {
			val := appendBytes(nil, valueTag, []byte(v.Tag))
			val = appendTag(val, valueSimple, wireFixed32)
			val = binary.LittleEndian.AppendUint32(val, math.Float32bits(v.Value))
			summary = appendBytes(summary, summaryValue, val)
		}
		b = appendBytes(b, eventSummary, summary)
	}
	return b
}
