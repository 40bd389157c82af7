package artifact

import (
	"fmt"
	"unicode/utf8"
)

// The input limits and the text policy shared by every reader of user text
// files: the dataset node's JSONL and text ingest and the JSONL reader of
// `llmflow prep`. One definition keeps the two from disagreeing on what is
// a good row.
//
// Invalid UTF-8 is an error naming the byte, never silently replaced: a
// replaced byte changes the text (and its hash) without the user knowing.
// So are \u escapes that are lone UTF-16 surrogates.

// MaxLineBytes bounds one input line (JSONL or text); a longer line is a
// bad row, so a file without newlines cannot exhaust memory.
const MaxLineBytes = 64 << 20

// MaxJSONDepth bounds the nesting of a JSONL row so that hostile input
// cannot exhaust the stack.
const MaxJSONDepth = 1000

// ErrLineTooLong marks a line longer than MaxLineBytes.
var ErrLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLineBytes)

// JSONLChecker checks JSONL rows against the shared policy. It reuses its
// buffers between rows and is not safe for concurrent use.
type JSONLChecker struct{ sc objScanner }

// Check reports why line (without its terminator) is not a good JSONL row:
// invalid UTF-8, not exactly one JSON object (RFC 8259), or nested deeper
// than MaxJSONDepth. Errors name the 1-based byte column.
func (c *JSONLChecker) Check(line []byte) error {
	if len(line) > MaxLineBytes {
		return ErrLineTooLong
	}
	if !utf8.Valid(line) {
		return invalidUTF8(line)
	}
	return c.sc.parse(line)
}

// AppendJSONString appends the decoded value of the JSON string literal
// quoted (quotes included) to dst. The literal is checked first, so any
// bytes are safe to pass: invalid UTF-8, a bad escape or a \u escape that is
// a lone surrogate (ErrLoneSurrogate) is an error rather than U+FFFD.
func AppendJSONString(dst, quoted []byte) ([]byte, error) {
	sc := objScanner{b: quoted}
	if len(quoted) == 0 || quoted[0] != '"' {
		return dst, sc.errAt(0, "want a string")
	}
	if end, _, err := sc.str(0); err != nil || end != len(quoted) {
		if err == nil {
			err = sc.errAt(end, "unexpected data after the string")
		}
		return dst, err
	}
	if !utf8.Valid(quoted) {
		return dst, invalidUTF8(quoted)
	}
	return appendUnescaped(dst, quoted[1:len(quoted)-1])
}
