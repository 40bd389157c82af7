package artifact

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// text ingests plain text: one document per non-blank line, or one per
// blank-line-separated paragraph (lines joined with "\n"). A line with
// invalid UTF-8 makes its document a bad row.
func (in *ingester) text(paths []string) error {
	if err := in.start(TextSchema()); err != nil {
		return err
	}
	for i, p := range paths {
		if err := in.textFile(p, in.names[i]); err != nil {
			return err
		}
		in.stats.Files++
	}
	return in.finish()
}

func (in *ingester) textFile(path, name string) error {
	r, closeFn, err := openInput(path, &in.done)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer closeFn()
	start := in.done
	defer func() { in.stats.InputBytes += in.done - start }()
	lr := newLineReader(r, MaxLineBytes)
	idBuf := make([]byte, 0, 64)
	var para []byte
	var paraLine int64
	var paraErr error
	emit := func() error {
		defer func() { para, paraErr = para[:0], nil }()
		if paraErr != nil {
			return in.bad(path, "", paraLine, paraErr)
		}
		idBuf = strconv.AppendInt(append(append(idBuf[:0], name...), ':'), paraLine, 10)
		in.b.AppendBytes(idBuf, para)
		return in.rowDone(len(para))
	}
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if lr.line == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		var lineErr error
		switch {
		case err == errLineTooLong:
			lineErr = err
		case err != nil:
			return fmt.Errorf("%s:%d: %w", path, lr.line, err)
		case !utf8.Valid(line):
			lineErr = invalidUTF8(line)
		}
		if lineErr == nil && isBlank(line) {
			if in.opt.TextMode == "paragraph" && paraLine > 0 {
				if err := emit(); err != nil {
					return err
				}
				paraLine = 0
			} else if paraLine == 0 {
				in.stats.Blank++
			}
			continue
		}
		if in.opt.TextMode == "line" {
			paraLine, para, paraErr = lr.line, line, lineErr
			if err := emit(); err != nil {
				return err
			}
			continue
		}
		if paraLine == 0 {
			paraLine = lr.line
		} else {
			para = append(para, '\n')
		}
		if lineErr != nil && paraErr == nil {
			paraErr = fmt.Errorf("line %d: %w", lr.line, lineErr)
		}
		if len(para)+len(line) > MaxLineBytes {
			paraErr = fmt.Errorf("paragraph longer than %d bytes", MaxLineBytes)
		} else if paraErr == nil {
			para = append(para, line...)
		}
	}
	if in.opt.TextMode == "paragraph" && paraLine > 0 {
		return emit()
	}
	return nil
}
