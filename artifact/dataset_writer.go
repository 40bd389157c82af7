package artifact

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// DefaultShardRows is the shard size used when WithShardRows is not given.
const DefaultShardRows = 1 << 18

// datasetIndexName is the sidecar that lists the shards and their rows, so
// that opening a dataset does not read every record batch.
const datasetIndexName = "dataset.json"

// datasetIndex is the on-disk form of dataset.json.
type datasetIndex struct {
	Format string       `json:"format"`
	Schema string       `json:"schema"`
	Rows   int64        `json:"rows"`
	Shards []shardEntry `json:"shards"`
}

type shardEntry struct {
	Name  string `json:"name"`
	Rows  int64  `json:"rows"`
	Bytes int64  `json:"bytes"`
}

const datasetFormat = "llmflow-dataset-v1"

// WriterOption configures a DatasetWriter.
type WriterOption func(*writerConfig)

type writerConfig struct {
	shardRows int64
	mem       memory.Allocator
	hash      bool
	bgSync    bool
	ownLayout bool
}

// WithShardRows sets the number of rows per shard (n > 0).
func WithShardRows(n int64) WriterOption {
	return func(c *writerConfig) {
		if n > 0 {
			c.shardRows = n
		}
	}
}

// WithFileHashes makes the writer hash the files as it writes them, for
// Files.
func WithFileHashes() WriterOption {
	return func(c *writerConfig) { c.hash = true }
}

// WithBackgroundSync makes the writer fsync each shard in the background
// as it grows, for output that will be committed: the commit's fsync then
// finds little left to write.
func WithBackgroundSync() WriterOption {
	return func(c *writerConfig) { c.bgSync = true }
}

// WithCopyLayout makes the writer lay out every shard itself, as it lays
// out the shards WriteDataset copies into, so that a dataset written by
// turns through Write and WriteDataset is copied without being decoded.
// The files are the same.
func WithCopyLayout() WriterOption {
	return func(c *writerConfig) { c.ownLayout = true }
}

// WithAllocator sets the Arrow allocator used by the IPC writer.
func WithAllocator(mem memory.Allocator) WriterOption {
	return func(c *writerConfig) { c.mem = mem }
}

// DatasetWriter writes record batches into row-bounded IPC file shards
// part-00000.arrow, part-00001.arrow, ... in one directory. Shards are
// written under a temporary name and renamed when complete. The writer does
// not fsync: durability comes from Staging.Commit, which syncs every file
// before publishing the artifact. Output depends
// only on the batches written and the options, so equal input gives
// byte-identical files, whether the batches came through Write or, still
// encoded, through WriteDataset. A DatasetWriter is used by one goroutine.
type DatasetWriter struct {
	dir    string
	schema *arrow.Schema
	cfg    writerConfig

	f       *os.File
	buf     *bufio.Writer // the IPC writer emits many small pieces per batch
	sum     hashWriter    // under buf: the shard is hashed as it is written
	w       *ipc.FileWriter
	curRows int64
	rows    int64
	shards  []shardEntry
	files   []File
	err     error
	closed  bool

	// A shard opened while copying (see WriteDataset) is laid out by the
	// writer itself from frame; w is nil then.
	copying bool
	frame   *ipcFrame
	noFrame bool // the frame check failed: copy by decoding
	blocks  []ipcBlock
	pos     int64
	enc     *msgEncoder
}

// hashWriter counts what it passes to the file, hashes it when h is set
// and pokes bg, when set, each bgSyncEvery bytes.
type hashWriter struct {
	f      *os.File
	h      hash.Hash
	n      int64
	bg     *bgSync
	synced int64
}

func (w *hashWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if w.h != nil {
		w.h.Write(p[:n])
	}
	w.n += int64(n)
	if w.bg != nil && w.n-w.synced >= bgSyncEvery {
		w.synced = w.n
		w.bg.poke()
	}
	return n, err
}

// stopSync ends the background syncs of the shard in progress.
func (w *hashWriter) stopSync() {
	if w.bg != nil {
		w.bg.stop()
		w.bg = nil
	}
}

// NewDatasetWriter creates dir if needed and returns a writer of datasets
// with the given schema. dir must not already hold shards.
func NewDatasetWriter(dir string, schema *arrow.Schema, opts ...WriterOption) (*DatasetWriter, error) {
	if schema == nil {
		return nil, errors.New("dataset writer: nil schema")
	}
	cfg := writerConfig{shardRows: DefaultShardRows, mem: memory.DefaultAllocator}
	for _, o := range opts {
		o(&cfg)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("dataset writer: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, shardName(0))); err == nil {
		return nil, fmt.Errorf("dataset writer: %s already holds a dataset", dir)
	}
	w := &DatasetWriter{dir: dir, schema: schema, cfg: cfg}
	if cfg.ownLayout {
		w.makeFrame()
	}
	return w, nil
}

// makeFrame prepares the layout the writer gives the shards it lays out
// itself, once; without one (a schema it cannot frame), arrow-go lays
// them out.
func (w *DatasetWriter) makeFrame() {
	if w.frame == nil && !w.noFrame {
		fr, err := newIPCFrame(w.schema)
		w.frame, w.noFrame = fr, err != nil
	}
}

func shardName(i int) string { return fmt.Sprintf("part-%05d.arrow", i) }

// Schema returns the dataset schema.
func (w *DatasetWriter) Schema() *arrow.Schema { return w.schema }

// Dir returns the dataset directory.
func (w *DatasetWriter) Dir() string { return w.dir }

// Rows returns the number of rows written so far.
func (w *DatasetWriter) Rows() int64 { return w.rows }

// Write appends a record batch; its schema must equal the writer's. The
// batch is split across shards as needed; the caller keeps ownership.
func (w *DatasetWriter) Write(rec arrow.RecordBatch) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("dataset writer: write after close")
	}
	if !rec.Schema().Equal(w.schema) {
		return fmt.Errorf("dataset writer %s: record schema {%s} does not match dataset schema {%s}",
			w.dir, SchemaString(rec.Schema()), SchemaString(w.schema))
	}
	n := rec.NumRows()
	for off := int64(0); off < n; {
		if w.f == nil {
			if err := w.openShard(); err != nil {
				return w.fail(err)
			}
		}
		take := min(n-off, w.cfg.shardRows-w.curRows)
		part := rec
		if off != 0 || take != n {
			part = rec.NewSlice(off, off+take)
		}
		err := w.writeBatch(part)
		if part != rec {
			part.Release()
		}
		if err != nil {
			return w.fail(fmt.Errorf("dataset writer %s: %w", w.shardPath(len(w.shards)), err))
		}
		off += take
		w.curRows += take
		w.rows += take
		if w.curRows >= w.cfg.shardRows {
			if err := w.closeShard(); err != nil {
				return w.fail(err)
			}
		}
	}
	return nil
}

// writeBatch writes rec into the open shard.
func (w *DatasetWriter) writeBatch(rec arrow.RecordBatch) error {
	if w.w != nil {
		return w.w.Write(rec)
	}
	if w.enc == nil {
		w.enc = newMsgEncoder(w.schema, w.cfg.mem, len(w.frame.header))
	}
	msg, meta, err := w.enc.encode(rec)
	if err != nil {
		return err
	}
	return w.appendMessage(msg, meta, rec.NumRows())
}

// appendMessage writes an encoded record batch message into the open
// shard, which the writer lays out itself.
func (w *DatasetWriter) appendMessage(msg []byte, meta, rows int64) error {
	if _, err := w.buf.Write(msg); err != nil {
		return err
	}
	w.blocks = append(w.blocks, ipcBlock{off: w.pos, meta: meta, body: int64(len(msg)) - meta, rows: rows})
	w.pos += int64(len(msg))
	return nil
}

func (w *DatasetWriter) fail(err error) error {
	w.err = err
	w.dropShard()
	return err
}

// dropShard closes and removes the shard in progress, if any.
func (w *DatasetWriter) dropShard() {
	if w.f != nil {
		w.sum.stopSync()
		w.f.Close()
		os.Remove(w.f.Name())
		w.f, w.w, w.blocks = nil, nil, nil
	}
}

func (w *DatasetWriter) shardPath(i int) string { return filepath.Join(w.dir, shardName(i)) }

func (w *DatasetWriter) openShard() error {
	tmp := w.shardPath(len(w.shards)) + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("dataset writer: %w", err)
	}
	w.sum = hashWriter{f: f}
	if w.cfg.hash {
		w.sum.h = sha256.New()
	}
	if w.cfg.bgSync {
		w.sum.bg = startBgSync(f)
	}
	if w.buf == nil {
		w.buf = bufio.NewWriterSize(&w.sum, 1<<20)
	} else {
		w.buf.Reset(&w.sum)
	}
	w.f, w.curRows = f, 0
	if (w.copying || w.cfg.ownLayout) && w.frame != nil {
		// Laid out by the writer, so that messages can be copied in.
		_, err := w.buf.Write(w.frame.header)
		w.pos = int64(len(w.frame.header))
		return err
	}
	iw, err := ipc.NewFileWriter(w.buf, ipc.WithSchema(w.schema), ipc.WithAllocator(w.cfg.mem))
	if err != nil {
		w.sum.stopSync()
		f.Close()
		os.Remove(tmp)
		w.f = nil
		return fmt.Errorf("dataset writer %s: %w", tmp, err)
	}
	w.w = iw
	return nil
}

// closeShard finishes the IPC footer, flushes and renames the shard.
func (w *DatasetWriter) closeShard() error {
	final := w.shardPath(len(w.shards))
	tmp := w.f.Name()
	var err error
	if w.w != nil {
		err = w.w.Close()
	} else {
		err = w.frame.writeTrailer(w.buf, w.blocks)
	}
	if err != nil {
		return fmt.Errorf("dataset writer %s: %w", final, err)
	}
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("dataset writer %s: %w", final, err)
	}
	w.sum.stopSync()
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("dataset writer %s: %w", final, err)
	}
	w.f, w.w, w.blocks = nil, nil, nil
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("dataset writer: %w", err)
	}
	name := shardName(len(w.shards))
	w.shards = append(w.shards, shardEntry{Name: name, Rows: w.curRows, Bytes: w.sum.n})
	if w.sum.h != nil {
		w.files = append(w.files, File{Name: name, Size: w.sum.n, SHA256: hex.EncodeToString(w.sum.h.Sum(nil))})
	}
	w.curRows = 0
	return nil
}

// Close finishes the last shard and writes dataset.json. A dataset with no
// rows still gets one (empty) shard so that its schema can be read back.
// Close after an error returns that error; calling Close twice is a no-op.
func (w *DatasetWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.f == nil && len(w.shards) == 0 {
		if err := w.openShard(); err != nil {
			return w.fail(err)
		}
	}
	if w.f != nil {
		if err := w.closeShard(); err != nil {
			return w.fail(err)
		}
	}
	idx := datasetIndex{Format: datasetFormat, Schema: SchemaString(w.schema), Rows: w.rows, Shards: w.shards}
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return w.fail(err)
	}
	data = append(data, '\n')
	if err := os.WriteFile(filepath.Join(w.dir, datasetIndexName), data, 0o644); err != nil {
		return w.fail(fmt.Errorf("dataset writer: %w", err))
	}
	if w.cfg.hash {
		sum := sha256.Sum256(data)
		w.files = append(w.files, File{Name: datasetIndexName, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
	}
	return nil
}

// Files returns the files Close wrote, named relative to Dir, with their
// sizes and sha256 taken as they were written; nil before Close, or
// without WithFileHashes.
func (w *DatasetWriter) Files() []File {
	if !w.closed || w.err != nil || !w.cfg.hash {
		return nil
	}
	return append([]File(nil), w.files...)
}

// Abort stops writing and removes the shard in progress; completed shards
// stay (the caller usually aborts the enclosing Staging).
func (w *DatasetWriter) Abort() {
	if !w.closed {
		w.closed = true
		w.dropShard()
	}
}
