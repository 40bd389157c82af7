package instruction

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
)

// Column names beyond prompt and response.
const (
	ColSystem   = "system"
	ColMessages = "messages"
)

// maxExamples bounds Stats.Examples.
const maxExamples = 10

// Schema is the schema Ingest writes: prompt, response, id, system and
// messages (JSON text, field metadata encoding=json), all utf8.
func Schema() *arrow.Schema {
	str := arrow.BinaryTypes.String
	return artifact.InstructionSchema(
		arrow.Field{Name: artifact.ColID, Type: str},
		arrow.Field{Name: ColSystem, Type: str},
		arrow.Field{Name: ColMessages, Type: str, Metadata: arrow.NewMetadata([]string{"encoding"}, []string{"json"})},
	)
}

// Stats counts what Ingest read and wrote.
type Stats struct {
	Files      int
	Rows       int64
	Skipped    int64
	Blank      int64
	MultiTurn  int64 // rows with more than one assistant turn
	WithSystem int64
	Turns      int64 // assistant turns
	Examples   []string
}

// Metrics returns the counters as a flat name -> value map.
func (s Stats) Metrics() map[string]float64 {
	return map[string]float64{
		"files": float64(s.Files), "rows": float64(s.Rows), "skipped": float64(s.Skipped),
		"blank": float64(s.Blank), "multi_turn": float64(s.MultiTurn), "with_system": float64(s.WithSystem),
		"assistant_turns": float64(s.Turns),
	}
}

// Ingest maps the JSONL files at paths, in order, into an instruction
// dataset in dst (typically a staging directory). Blank lines are ignored.
// On error dst may hold partial output; the caller aborts its staging.
func Ingest(ctx context.Context, paths []string, dst string, c Config) (Stats, error) {
	if err := c.Validate(); err != nil {
		return Stats{}, err
	}
	w, err := artifact.NewRecordWriter(dst, Schema())
	if err != nil {
		return Stats{}, err
	}
	in := &ingest{c: c, w: w}
	for _, p := range paths {
		if err := in.file(ctx, p); err != nil {
			w.Abort()
			return in.st, err
		}
	}
	return in.st, w.Close()
}

type ingest struct {
	c  Config
	w  *artifact.RecordWriter
	st Stats
}

func (in *ingest) file(ctx context.Context, path string) error {
	in.st.Files++
	base := filepath.Base(path)
	blank, err := EachLine(ctx, path, func(lineNo int64, line []byte) error {
		ex, err := in.c.Map(line, fmt.Sprintf("%s:%d", base, lineNo))
		if err != nil {
			return in.bad(fmt.Sprintf("%s:%d", path, lineNo), err)
		}
		return in.append(ex, len(line))
	})
	in.st.Blank += blank
	return err
}

// EachLine calls fn with each non-blank line of the file at path (without
// its line ending) and its 1-based number, stopping at fn's first error,
// and returns the number of blank lines. Read errors name path and line.
func EachLine(ctx context.Context, path string, fn func(lineNo int64, line []byte) error) (blank int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	for lineNo := int64(1); ; lineNo++ {
		line, err := ReadLine(br)
		if err == io.EOF {
			return blank, nil
		}
		if err != nil {
			return blank, fmt.Errorf("%s:%d: %w", path, lineNo, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			blank++
			continue
		}
		if err := fn(lineNo, line); err != nil {
			return blank, err
		}
		if lineNo%4096 == 0 && ctx.Err() != nil {
			return blank, ctx.Err()
		}
	}
}

// bad handles a bad record at where: an error, or with on_error "skip" a
// count and an example.
func (in *ingest) bad(where string, err error) error {
	return HandleBad(in.c.OnError, where, err, &in.st.Skipped, &in.st.Examples)
}

// HandleBad applies an on_error policy to a bad record at where: "fail"
// returns an error naming where; "skip" counts it in *skipped and keeps
// the first few reasons in *examples.
func HandleBad(onError, where string, err error, skipped *int64, examples *[]string) error {
	if onError != "skip" {
		return fmt.Errorf("%s: %w", where, err)
	}
	*skipped++
	if len(*examples) < maxExamples {
		*examples = append(*examples, fmt.Sprintf("%s: %v", where, err))
	}
	return nil
}

func (in *ingest) append(ex Example, size int) error {
	msgs, err := chat.MarshalMessages(ex.Messages)
	if err != nil {
		return err
	}
	b := in.w.Builder()
	for i, v := range []string{ex.Prompt(), ex.Response(), ex.ID, ex.System(), string(msgs)} {
		b.Field(i).(*array.StringBuilder).Append(v)
	}
	in.st.Rows++
	turns := 0
	for _, m := range ex.Messages {
		if m.Role == chat.RoleAssistant {
			turns++
		}
	}
	in.st.Turns += int64(turns)
	if turns > 1 {
		in.st.MultiTurn++
	}
	if ex.System() != "" {
		in.st.WithSystem++
	}
	return in.w.RowDone(size)
}

// ReadLine returns the next line without its line ending; a line longer
// than artifact.MaxLineBytes is an error rather than unbounded memory.
func ReadLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > artifact.MaxLineBytes {
			return nil, fmt.Errorf("line longer than %d bytes", artifact.MaxLineBytes)
		}
		line = append(line, chunk...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(line) > 0:
			return line, nil
		case err != nil:
			return nil, err
		}
		return line[:len(line)-1], nil
	}
}
