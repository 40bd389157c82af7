package artifact

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Input formats understood by Ingest.
const (
	FormatJSONL   = "jsonl"
	FormatText    = "text"
	FormatParquet = "parquet"
	FormatArrow   = "arrow"
)

// maxExtraColumns bounds the pass-through columns a JSONL input can create.
const maxExtraColumns = 1024

// maxExamples bounds IngestStats.Examples.
const maxExamples = 10

// IngestOptions configures Ingest. Zero values take the documented defaults.
//
// JSONL rows are objects. The text field must be a string; the id field may
// be a string or a number (kept as its literal); a row without one gets the
// deterministic id "<file base name>:<line>" (with the 0-based input index
// prefixed, "<i>-<base>:<line>", when two inputs share a base name). Every
// other top-level field becomes a nullable column named after it, typed from
// all values seen across the inputs: only booleans -> bool, only integers ->
// int64, numbers -> float64, only strings -> utf8, anything else (objects,
// arrays, mixed types) -> utf8 holding the value's JSON text, marked with
// field metadata encoding=json. Fields named id or text that are not the
// mapped fields are renamed orig_id / orig_text. Inferring the columns takes
// a first pass over the inputs; Extra "none" skips it.
//
// Parquet and Arrow inputs keep their other columns with their own types;
// every input must then have the same columns. Dictionary-encoded columns
// (pandas categoricals) are decoded to their value type, since datasets hold
// no dictionaries. Arrow inputs are checked like dataset shards (no
// compression or view types); Parquet
// files are decoded by arrow-go, whose metadata decoder trusts list sizes,
// so only Parquet files from sources you trust should be ingested.
type IngestOptions struct {
	// Format is jsonl, text, parquet or arrow; "" picks by file extension
	// (.jsonl .ndjson .json, .txt .text .md, .parquet, .arrow .arrows .ipc
	// .feather; a .gz suffix is decompressed for jsonl and text).
	Format string
	// TextField names the field (or column) holding the document text; default "text".
	TextField string
	// IDField names the field holding the document id; default "id".
	IDField string
	// OnError is "fail" (default: the first bad row is an error naming file
	// and line) or "skip" (bad rows are skipped and counted).
	OnError string
	// TextMode is "line" (default: one document per non-blank line) or
	// "paragraph" (blank-line-separated paragraphs); text format only.
	TextMode string
	// Extra is "auto" (default: other fields pass through as columns) or
	// "none" (they are dropped).
	Extra string
	// ShardRows bounds rows per output shard; default DefaultShardRows.
	ShardRows int64
	// Progress, when set, is called now and then with input bytes done and total.
	Progress func(done, total int64)
}

// IngestStats counts what Ingest read and wrote.
type IngestStats struct {
	Files      int      // input files read
	Rows       int64    // rows written
	Skipped    int64    // bad rows skipped (OnError "skip")
	Blank      int64    // blank lines ignored
	InputBytes int64    // bytes of input read (compressed size for .gz)
	Examples   []string // the first few skip reasons, "file:line: reason"
}

// Metrics returns the counters as a flat name -> value map.
func (s IngestStats) Metrics() map[string]float64 {
	return map[string]float64{
		"files":       float64(s.Files),
		"rows":        float64(s.Rows),
		"skipped":     float64(s.Skipped),
		"blank":       float64(s.Blank),
		"input_bytes": float64(s.InputBytes),
	}
}

func (o *IngestOptions) normalize() error {
	if o.TextField == "" {
		o.TextField = ColText
	}
	if o.IDField == "" {
		o.IDField = ColID
	}
	if o.TextField == o.IDField {
		return fmt.Errorf("ingest: text_field and id_field are both %q", o.TextField)
	}
	switch o.OnError {
	case "":
		o.OnError = "fail"
	case "fail", "skip":
	default:
		return fmt.Errorf("ingest: on_error %q: want \"fail\" or \"skip\"", o.OnError)
	}
	switch o.TextMode {
	case "":
		o.TextMode = "line"
	case "line", "paragraph":
	default:
		return fmt.Errorf("ingest: text mode %q: want \"line\" or \"paragraph\"", o.TextMode)
	}
	switch o.Extra {
	case "":
		o.Extra = "auto"
	case "auto", "none":
	default:
		return fmt.Errorf("ingest: extra %q: want \"auto\" or \"none\"", o.Extra)
	}
	switch o.Format {
	case "", FormatJSONL, FormatText, FormatParquet, FormatArrow:
	default:
		return fmt.Errorf("ingest: format %q: want jsonl, text, parquet or arrow", o.Format)
	}
	return nil
}

// DetectFormat returns the ingest format implied by a file name, or "".
func DetectFormat(path string) string {
	ext := strings.ToLower(filepath.Ext(strings.TrimSuffix(strings.ToLower(path), ".gz")))
	gz := strings.HasSuffix(strings.ToLower(path), ".gz")
	switch ext {
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL
	case ".txt", ".text", ".md":
		return FormatText
	case ".parquet", ".pq":
		if !gz {
			return FormatParquet
		}
	case ".arrow", ".arrows", ".ipc", ".feather":
		if !gz {
			return FormatArrow
		}
	}
	return ""
}

// Ingest reads the input files in order and writes one text dataset (id,
// text, extra columns) into dst, typically a Staging directory. Memory is
// bounded by the batch size and the longest line, not by the input size.
// On error dst may hold partial output; the caller aborts its staging.
func Ingest(ctx context.Context, paths []string, dst string, opt IngestOptions) (IngestStats, error) {
	if err := opt.normalize(); err != nil {
		return IngestStats{}, err
	}
	if len(paths) == 0 {
		return IngestStats{}, fmt.Errorf("ingest: no input files")
	}
	format := opt.Format
	var total int64
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return IngestStats{}, fmt.Errorf("ingest: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return IngestStats{}, fmt.Errorf("ingest: %s is not a regular file", p)
		}
		total += fi.Size()
		if opt.Format == "" {
			f := DetectFormat(p)
			if f == "" {
				return IngestStats{}, fmt.Errorf("ingest: %s: cannot tell the format from the file name; set format", p)
			}
			if format != "" && f != format {
				return IngestStats{}, fmt.Errorf("ingest: %s is %s but earlier inputs are %s; ingest one format at a time", p, f, format)
			}
			format = f
		}
	}
	in := &ingester{ctx: ctx, opt: opt, dst: dst, names: InputNames(paths), total: total}
	var err error
	switch format {
	case FormatJSONL:
		err = in.jsonl(paths)
	case FormatText:
		err = in.text(paths)
	default:
		err = in.columnar(paths, format)
	}
	if err != nil {
		in.abort()
		return in.stats, err
	}
	return in.stats, nil
}

// InputNames gives each input, in ingest order, the name used in generated
// ids: its base name, prefixed with its position when two inputs share one.
// Besides the bytes and order of the inputs, these names are all of the
// paths that reaches an ingested dataset.
func InputNames(paths []string) []string {
	count := map[string]int{}
	for _, p := range paths {
		count[filepath.Base(p)]++
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
		if count[names[i]] > 1 {
			names[i] = fmt.Sprintf("%d-%s", i, names[i])
		}
	}
	return names
}

// ingester holds the state shared by the format readers.
type ingester struct {
	ctx   context.Context
	opt   IngestOptions
	dst   string
	names []string
	total int64
	done  int64
	stats IngestStats

	w       *DatasetWriter
	b       *TextBuilder
	pending int // input bytes behind the rows in b
	// sink, when set, receives batches instead of w (the fuzz target uses
	// it to stay off the disk).
	sink func(arrow.RecordBatch) error
}

// bad handles a bad row: an error naming file and line, or a skip.
func (in *ingester) bad(path, unit string, n int64, err error) error {
	where := fmt.Sprintf("%s:%d", path, n)
	if unit != "" {
		where = fmt.Sprintf("%s: %s %d", path, unit, n)
	}
	if in.opt.OnError != "skip" {
		return fmt.Errorf("%s: %w", where, err)
	}
	in.stats.Skipped++
	if len(in.stats.Examples) < maxExamples {
		in.stats.Examples = append(in.stats.Examples, fmt.Sprintf("%s: %v", where, err))
	}
	return nil
}

// start opens the dataset writer and row builder for schema.
func (in *ingester) start(schema *arrow.Schema) error {
	w, err := NewDatasetWriter(in.dst, schema, WithShardRows(in.opt.ShardRows))
	if err != nil {
		return err
	}
	in.w = w
	if checkTextSchema(schema) == nil {
		in.b, _ = NewTextBuilder(schema)
	}
	return nil
}

// rowDone counts a row appended to the builder from n input bytes and
// flushes full batches; counting input bytes bounds the batch even when
// the bulk of a row sits in extra columns.
func (in *ingester) rowDone(n int) error {
	in.stats.Rows++
	in.pending += n
	if in.b.Len() >= DefaultBatchRows || in.pending >= DefaultBatchBytes {
		return in.flush()
	}
	return nil
}

func (in *ingester) flush() error {
	if in.b == nil || in.b.Len() == 0 {
		return nil
	}
	in.pending = 0
	rec := in.b.NewRecordBatch()
	defer rec.Release()
	if in.sink != nil {
		return in.sink(rec)
	}
	if err := in.w.Write(rec); err != nil {
		return err
	}
	in.progress()
	return in.ctx.Err()
}

func (in *ingester) progress() {
	if in.opt.Progress != nil {
		in.opt.Progress(in.done, in.total)
	}
}

// finish flushes and closes the dataset.
func (in *ingester) finish() error {
	if err := in.flush(); err != nil {
		return err
	}
	if in.b != nil {
		in.b.Release()
		in.b = nil
	}
	err := in.w.Close()
	in.w = nil
	in.done = in.total
	in.progress()
	return err
}

func (in *ingester) abort() {
	if in.w != nil {
		in.w.Abort()
	}
	if in.b != nil {
		in.b.Release()
	}
}
