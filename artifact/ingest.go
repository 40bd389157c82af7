package artifact

import (
	"context"
	"errors"
)

// Input formats understood by Ingest.
const (
	FormatJSONL   = "jsonl"
	FormatText    = "text"
	FormatParquet = "parquet"
	FormatArrow   = "arrow"
)

// IngestOptions configures Ingest. Zero values take the documented defaults.
type IngestOptions struct {
	// Format is jsonl, text, parquet or arrow; "" picks by file extension.
	Format string
	// TextField names the field (or column) holding the document text; default "text".
	TextField string
	// IDField names the field holding the document id; default "id". Rows
	// without it get a deterministic id "<file base name>:<line or row>".
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
}

// IngestStats counts what Ingest read and wrote.
type IngestStats struct {
	Files      int      // input files read
	Rows       int64    // rows written
	Skipped    int64    // bad rows skipped (OnError "skip")
	Blank      int64    // blank lines or empty documents ignored
	InputBytes int64    // bytes of input read
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

// Ingest reads the input files in order and writes one text dataset (id,
// text, extra columns) into dst, typically a Staging directory.
func Ingest(ctx context.Context, paths []string, dst string, opt IngestOptions) (IngestStats, error) {
	return IngestStats{}, errors.New("ingest: not implemented yet")
}
