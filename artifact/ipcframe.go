package artifact

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	flatbuffers "github.com/google/flatbuffers/go"
)

// ipcFrame is what arrow-go's IPC file writer puts around the record batch
// messages of one schema: a header (magic, padding, schema message) and,
// after the end-of-stream marker, a footer listing the batches' blocks. It
// lets a writer lay out a file from messages copied as they are, byte for
// byte as arrow-go would have written it.
type ipcFrame struct {
	header []byte
	// tail is the end of every footer of the schema: arrow-go builds the
	// footer's schema first, so it sits at the end of the flatbuffer, and
	// what the blocks add comes before it.
	tail      []byte
	schemaOff flatbuffers.UOffsetT // the Footer's schema, from the buffer's end
}

var ipcEOS = []byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0}

const (
	ipcMagic      = "ARROW1"
	ipcMetadataV5 = 4 // flatbuf.MetadataVersion of the footers arrow-go writes
)

// newIPCFrame takes the frame of schema from files that arrow-go writes,
// and checks that the footers it builds are arrow-go's, with and without
// batches. An error means the frame cannot be trusted: write through
// arrow-go instead.
func newIPCFrame(schema *arrow.Schema) (*ipcFrame, error) {
	empty, err := arrowFile(schema, 0)
	if err != nil {
		return nil, err
	}
	fr, footer, err := parseIPCFrame(empty)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(fr.footer(nil), footer) {
		return nil, errors.New("IPC frame: footer without batches differs from arrow-go's")
	}
	two, err := arrowFile(schema, 2)
	if err != nil {
		return nil, err
	}
	blocks, err := verifyIPCFile(bytes.NewReader(two), int64(len(two)), ipcNoDict)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(fr.header)
	for _, blk := range blocks {
		b.Write(two[blk.off : blk.off+blk.meta+blk.body])
	}
	fr.writeTrailer(&b, blocks)
	if !bytes.Equal(b.Bytes(), two) {
		return nil, errors.New("IPC frame: file with batches differs from arrow-go's")
	}
	return fr, nil
}

// arrowFile returns an IPC file of schema with n empty batches, as arrow-go
// writes it.
func arrowFile(schema *arrow.Schema, n int) (file []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			file, err = nil, fmt.Errorf("IPC frame: %v", p)
		}
	}()
	var buf bytes.Buffer
	w, err := ipc.NewFileWriter(&buf, ipc.WithSchema(schema))
	if err != nil {
		return nil, err
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer rb.Release()
	for range n {
		rec := rb.NewRecordBatch()
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// parseIPCFrame splits a file without batches into its frame and footer.
func parseIPCFrame(file []byte) (*ipcFrame, []byte, error) {
	bad := errors.New("IPC frame: unexpected layout of an empty file")
	end := len(file) - len(ipcMagic) - 4
	if end < 8 || string(file[end+4:]) != ipcMagic {
		return nil, nil, bad
	}
	flen := int(binary.LittleEndian.Uint32(file[end:]))
	if flen <= 0 || flen > end-len(ipcEOS)-8 {
		return nil, nil, bad
	}
	footer := file[end-flen : end]
	hlen := end - flen - len(ipcEOS)
	if !bytes.Equal(file[hlen:end-flen], ipcEOS) {
		return nil, nil, bad
	}
	root, err := fbuf(footer).root()
	if err != nil {
		return nil, nil, err
	}
	schema, err := root.ref(1)
	if err != nil || schema < 0 {
		return nil, nil, bad
	}
	dicts, err := root.ref(2)
	if err != nil || dicts < 0 || dicts+4 > schema {
		return nil, nil, bad
	}
	return &ipcFrame{
		header:    file[:hlen],
		tail:      footer[dicts+4:],
		schemaOff: flatbuffers.UOffsetT(len(footer) - schema),
	}, footer, nil
}

// footer builds the footer flatbuffer for blocks with the calls arrow-go's
// writeFileFooter makes, the schema's bytes placed as they are.
func (f *ipcFrame) footer(blocks []ipcBlock) []byte {
	b := flatbuffers.NewBuilder(len(f.tail) + 24*len(blocks) + 128)
	b.Prep(1, len(f.tail))
	for i := len(f.tail) - 1; i >= 0; i-- {
		b.PlaceByte(f.tail[i])
	}
	b.StartVector(24, 0, 8)
	dicts := b.EndVector(0)
	b.StartVector(24, len(blocks), 8)
	for i := len(blocks) - 1; i >= 0; i-- {
		b.Prep(8, 24)
		b.PrependInt64(blocks[i].body)
		b.Pad(4)
		b.PrependInt32(int32(blocks[i].meta))
		b.PrependInt64(blocks[i].off)
	}
	recs := b.EndVector(len(blocks))
	b.StartObject(5)
	b.PrependInt16Slot(0, ipcMetadataV5, 0)
	b.PrependUOffsetTSlot(1, f.schemaOff, 0)
	b.PrependUOffsetTSlot(2, dicts, 0)
	b.PrependUOffsetTSlot(3, recs, 0)
	b.Finish(b.EndObject())
	return b.FinishedBytes()
}

// writeTrailer writes what follows the last batch: the end-of-stream
// marker, the footer, its length and the magic.
func (f *ipcFrame) writeTrailer(w interface{ Write([]byte) (int, error) }, blocks []ipcBlock) error {
	footer := f.footer(blocks)
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(footer)))
	for _, p := range [][]byte{ipcEOS, footer, n[:], []byte(ipcMagic)} {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}
