package artifact

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// WriteDataset appends every row of d, whose schema must equal the
// writer's, and gives the files Write would give d's batches in order. The
// batches that fit in the shard being written are copied as they are
// encoded in d's files, neither decoded nor validated (d is trusted to be
// a DatasetWriter's output); a batch that a shard boundary cuts is decoded
// and written in its slices.
func (w *DatasetWriter) WriteDataset(ctx context.Context, d *Dataset) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("dataset writer: write after close")
	}
	if !d.Schema().Equal(w.schema) {
		return fmt.Errorf("dataset writer %s: dataset schema {%s} does not match {%s}",
			w.dir, SchemaString(d.Schema()), SchemaString(w.schema))
	}
	w.makeFrame()
	if w.w != nil || w.frame == nil {
		// A shard arrow-go is writing cannot take copied messages.
		return d.Scan(ctx, w.Write)
	}
	w.copying = true
	defer func() { w.copying = false }()
	for i := range d.shards {
		if err := w.copyShard(ctx, d, i); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

// copyShard appends the batches of d's shard i.
func (w *DatasetWriter) copyShard(ctx context.Context, d *Dataset, i int) error {
	sh, err := d.openShard(i)
	if err != nil {
		return err
	}
	defer sh.close()
	f, r, blocks, path := sh.f, sh.r, sh.blocks, sh.path
	if !w.sameFrame(f, blocks) {
		return d.ScanShard(ctx, i, w.Write)
	}
	for j, b := range blocks {
		if err := ctx.Err(); err != nil {
			return err
		}
		if w.curRows+b.rows > w.cfg.shardRows {
			if err := w.writeDecoded(r, d.schema, path, j); err != nil {
				return err
			}
			continue
		}
		if w.f == nil {
			if err := w.openShard(); err != nil {
				return err
			}
		}
		if _, err := io.Copy(w.buf, io.NewSectionReader(f, b.off, b.meta+b.body)); err != nil {
			return fmt.Errorf("dataset shard %s: %w", path, err)
		}
		w.blocks = append(w.blocks, ipcBlock{off: w.pos, meta: b.meta, body: b.body, rows: b.rows})
		w.pos += b.meta + b.body
		w.curRows += b.rows
		w.rows += b.rows
		if w.curRows >= w.cfg.shardRows {
			if err := w.closeShard(); err != nil {
				return err
			}
		}
	}
	return nil
}

// sameFrame tells whether a shard holds its batches as the writer lays
// them out: its header the frame's, its messages one after the other.
func (w *DatasetWriter) sameFrame(f *os.File, blocks []ipcBlock) bool {
	head := make([]byte, len(w.frame.header))
	if _, err := f.ReadAt(head, 0); err != nil || !bytes.Equal(head, w.frame.header) {
		return false
	}
	pos := int64(len(head))
	for _, b := range blocks {
		if b.off != pos {
			return false
		}
		pos += b.meta + b.body
	}
	return true
}

// writeDecoded writes batch j of r through Write, which cuts it at the
// shard boundary.
func (w *DatasetWriter) writeDecoded(r *ipc.FileReader, schema *arrow.Schema, path string, j int) error {
	rec, err := readBatch(r, j)
	if err != nil {
		return fmt.Errorf("dataset shard %s: batch %d: %w", path, j, err)
	}
	defer rec.Release()
	if err := validateBatch(rec, schema); err != nil {
		return fmt.Errorf("dataset shard %s: batch %d: %w", path, j, err)
	}
	return w.Write(rec)
}

// msgEncoder encodes record batches into IPC messages as arrow-go's file
// writer does: its stream writer shares the file writer's encoder.
type msgEncoder struct {
	buf    bytes.Buffer
	w      *ipc.Writer
	schema int // bytes of the schema message the stream starts with
}

func newMsgEncoder(schema *arrow.Schema, mem memory.Allocator, header int) *msgEncoder {
	e := &msgEncoder{schema: header - 8} // the file's header is magic and padding, then the schema message
	e.w = ipc.NewWriter(&e.buf, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	return e
}

// encode returns rec's message and the length of its metadata; the bytes
// are valid until the next call.
func (e *msgEncoder) encode(rec arrow.RecordBatch) ([]byte, int64, error) {
	e.buf.Reset()
	if err := e.w.Write(rec); err != nil {
		return nil, 0, err
	}
	msg := e.buf.Bytes()
	if e.schema > 0 {
		if len(msg) < e.schema {
			return nil, 0, errors.New("dataset writer: short IPC stream")
		}
		msg, e.schema = msg[e.schema:], 0
	}
	if len(msg) < 8 || binary.LittleEndian.Uint32(msg) != 0xFFFFFFFF {
		return nil, 0, errors.New("dataset writer: unexpected IPC message prefix")
	}
	meta := 8 + int64(binary.LittleEndian.Uint32(msg[4:]))
	if meta > int64(len(msg)) {
		return nil, 0, errors.New("dataset writer: IPC message shorter than its metadata")
	}
	return msg, meta, nil
}
