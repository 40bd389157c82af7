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

// textDoc is the document being gathered from a text file.
type textDoc struct {
	line int64 // its first line; 0 while empty
	buf  []byte
	err  error // the first problem found in it
}

// add appends a line, or records why the document is bad.
func (d *textDoc) add(lineNo int64, line []byte, lineErr error) {
	if d.line == 0 {
		d.line = lineNo
	} else {
		d.buf = append(d.buf, '\n')
	}
	switch {
	case d.err != nil:
	case lineErr != nil:
		d.err = fmt.Errorf("line %d: %w", lineNo, lineErr)
	case len(d.buf)+len(line) > MaxLineBytes:
		d.err = fmt.Errorf("paragraph longer than %d bytes", MaxLineBytes)
	default:
		d.buf = append(d.buf, line...)
	}
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
	var doc textDoc
	emit := func(text []byte, lineNo int64, docErr error) error {
		doc = textDoc{buf: doc.buf[:0]}
		if docErr != nil {
			return in.bad(path, "", lineNo, docErr)
		}
		idBuf = strconv.AppendInt(append(append(idBuf[:0], name...), ':'), lineNo, 10)
		in.b.AppendBytes(idBuf, text)
		return in.rowDone(len(text))
	}
	paragraphs := in.opt.TextMode == "paragraph"
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		var lineErr error
		switch {
		case err == ErrLineTooLong:
			lineErr = err
		case err != nil:
			return fmt.Errorf("%s:%d: %w", path, lr.line, err)
		case lr.line == 1:
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if lineErr == nil && !utf8.Valid(line) {
			lineErr = invalidUTF8(line)
		}
		blank := lineErr == nil && isBlank(line)
		switch {
		case blank && (!paragraphs || doc.line == 0):
			in.stats.Blank++
		case blank:
			err = emit(doc.buf, doc.line, doc.err)
		case !paragraphs:
			err = emit(line, lr.line, lineErr)
		default:
			doc.add(lr.line, line, lineErr)
		}
		if err != nil {
			return err
		}
	}
	if doc.line > 0 {
		return emit(doc.buf, doc.line, doc.err)
	}
	return nil
}
