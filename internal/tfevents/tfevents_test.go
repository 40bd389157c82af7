package tfevents

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

func TestCRC32CCheckValue(t *testing.T) {
	// The CRC-32C check value of "123456789" (RFC 3720, appendix B.4).
	if got := crc32.Checksum([]byte("123456789"), castagnoli); got != 0xe3069283 {
		t.Fatalf("crc32c = %08x", got)
	}
	c := uint32(0xe3069283)
	if got, want := maskedCRC([]byte("123456789")), (c>>15|c<<17)+0xa282ead8; got != want {
		t.Fatalf("masked %08x, want %08x", got, want)
	}
}

func TestWriteRead(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(filepath.Join(dir, "tb"))
	if err != nil {
		t.Fatal(err)
	}
	w.now = func() time.Time { return time.Unix(1700000000, 500_000_000) }
	for step := int64(1); step <= 3; step++ {
		if err := w.Scalar("train_loss", step*10, 4/float64(step)); err != nil {
			t.Fatal(err)
		}
	}
	w.Scalar("lr", -1, math.Inf(1)) // negative steps and infinities survive
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(w.Name()), "events.out.tfevents.") {
		t.Errorf("file name %s: TensorBoard only reads files named *tfevents*", w.Name())
	}
	f, _ := os.Open(w.Name())
	defer f.Close()
	evs, err := ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 5 || evs[0].FileVersion != FileVersion {
		t.Fatalf("events %+v", evs)
	}
	if e := evs[2]; e.Step != 20 || e.WallTime != 1700000000.5 || len(e.Values) != 1 || e.Values[0] != (Value{"train_loss", 2}) {
		t.Errorf("second scalar %+v", e)
	}
	if e := evs[4]; e.Step != -1 || !math.IsInf(float64(e.Values[0].Value), 1) {
		t.Errorf("last scalar %+v", e)
	}
}

// TestEncodingWithProtowire decodes an event with the protobuf module's own
// wire-format reader, which shares no code with this package's.
func TestEncodingWithProtowire(t *testing.T) {
	b := Event{WallTime: 12.25, Step: 300, Values: []Value{{Tag: "val_loss", Value: 0.5}}}.marshal()
	var wall float64
	var step int64
	var tag string
	var val float32
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.Fixed64Type:
			v, n := protowire.ConsumeFixed64(b)
			wall, b = math.Float64frombits(v), b[n:]
		case num == 2 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			step, b = int64(v), b[n:]
		case num == 5 && typ == protowire.BytesType:
			summary, n := protowire.ConsumeBytes(b)
			b = b[n:]
			_, _, n = protowire.ConsumeTag(summary)
			value, _ := protowire.ConsumeBytes(summary[n:])
			_, _, n = protowire.ConsumeTag(value)
			t, m := protowire.ConsumeBytes(value[n:])
			tag = string(t)
			rest := value[n+m:]
			_, _, n = protowire.ConsumeTag(rest)
			v, _ := protowire.ConsumeFixed32(rest[n:])
			val = math.Float32frombits(v)
		default:
			t.Fatalf("unexpected field %d type %d", num, typ)
		}
	}
	if wall != 12.25 || step != 300 || tag != "val_loss" || val != 0.5 {
		t.Errorf("protowire read wall %v step %d tag %q value %v", wall, step, tag, val)
	}
}

func TestReadDamage(t *testing.T) {
	var file []byte
	for i := range 3 {
		file = appendRecord(file, Event{Step: int64(i), Values: []Value{{"x", 1}}}.marshal())
	}
	// A writer killed mid-record leaves a truncated tail: the complete
	// records are read.
	evs, err := ReadAll(bytes.NewReader(file[:len(file)-5]))
	if err != nil || len(evs) != 2 {
		t.Errorf("truncated file: %d events, %v", len(evs), err)
	}
	bad := bytes.Clone(file)
	bad[20] ^= 0xff // inside the first payload
	if _, err := ReadAll(bytes.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("corrupt payload: %v", err)
	}
	huge := make([]byte, 12)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	binary.LittleEndian.PutUint32(huge[8:], maskedCRC(huge[:8]))
	if _, err := ReadAll(bytes.NewReader(huge)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("huge length: %v", err)
	}
}

func FuzzReadAll(f *testing.F) {
	f.Add(appendRecord(nil, Event{WallTime: 1, FileVersion: FileVersion}.marshal()))
	f.Add(appendRecord(nil, Event{Step: 7, Values: []Value{{"a", 2}, {"b", 3}}}.marshal()))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := ReadAll(bytes.NewReader(b))
		if err != nil {
			return
		}
		// What was read re-encodes to records that read back the same.
		var again []byte
		for _, e := range evs {
			again = appendRecord(again, e.marshal())
		}
		back, err := ReadAll(bytes.NewReader(again))
		if err != nil || len(back) != len(evs) {
			t.Fatalf("re-read %d of %d events: %v", len(back), len(evs), err)
		}
	})
}

// BenchmarkScalar measures writing one scalar event.
func BenchmarkScalar(b *testing.B) {
	w, err := Create(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	for i := 0; b.Loop(); i++ {
		w.Scalar("train_loss", int64(i), 1.5)
	}
}
