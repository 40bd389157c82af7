package artifact

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// lineReader yields the lines of a stream without their terminators,
// holding at most one line (bounded by max) in memory.
type lineReader struct {
	r    *bufio.Reader
	buf  []byte
	max  int
	line int64 // number of the line last returned, 1-based
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 1<<20), max: max}
}

// next returns the next line. A line longer than max is consumed and
// reported as ErrLineTooLong; io.EOF marks the end. The slice is valid
// until the next call.
func (l *lineReader) next() ([]byte, error) {
	l.line++
	b, err := l.r.ReadSlice('\n')
	if err == nil || (err == io.EOF && len(b) > 0) {
		return trimEOL(b), nil
	}
	if err == io.EOF {
		return nil, io.EOF
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	l.buf = append(l.buf[:0], b...)
	tooLong := false
	for {
		b, err = l.r.ReadSlice('\n')
		if !tooLong {
			if len(l.buf)+len(b) > l.max+2 {
				tooLong = true
				l.buf = l.buf[:0]
			} else {
				l.buf = append(l.buf, b...)
			}
		}
		if err == nil || err == io.EOF {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
	if tooLong {
		return nil, ErrLineTooLong
	}
	return trimEOL(l.buf), nil
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// countingReader counts bytes read from the file, before decompression.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// openInput opens a file for line reading, decompressing .gz; counted
// receives the compressed bytes read.
func openInput(path string, counted *int64) (io.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	var r io.Reader = countingReader{f, counted}
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		r = zr
	}
	return r, f.Close, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// invalidUTF8 describes the first invalid UTF-8 sequence in b.
func invalidUTF8(b []byte) error {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Errorf("column %d: invalid UTF-8 byte 0x%02x", i+1, b[i])
		}
		i += size
	}
	return nil
}

// isBlank reports whether b holds only spaces, tabs and line ends.
func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v' {
			return false
		}
	}
	return true
}
