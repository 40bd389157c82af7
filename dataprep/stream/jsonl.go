package stream

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"unsafe"

	"github.com/llmflow/llmflow/artifact"
)

// JSONLOptions configures RunJSONL.
type JSONLOptions struct {
	// Options gives Field, Workers, BatchRows (lines per unit), Extra (keys
	// the mapper fills through Result.Extra) and Progress. Rejects and Mem
	// are ignored.
	Options
	// Name labels error messages (usually the input path).
	Name string
	// Rejects, when set, receives dropped lines with a "reason" key.
	Rejects io.Writer
	// UnitBytes bounds the bytes per unit of work (default 4 MiB).
	UnitBytes int
}

type jsonlUnit struct {
	seq       int
	firstLine int
	data      []byte
	lines     []span
}

type jsonlDone struct {
	seq       int
	out       [][]byte // written in order; slices of the unit's input where lines pass unchanged
	rej       []byte
	rows, byt int64
	err       error
}

// bigLine is the output line size from which a worker hands its line buffer
// over to the writer instead of copying it: a long document then costs no
// extra copy of itself.
const bigLine = 1 << 20

// RunJSONL maps the Field string of every JSON object line of r and writes
// the kept lines to w in input order. A line whose text comes back
// unchanged is copied byte for byte; otherwise only the text value is
// re-encoded, so every other key keeps its bytes and order. Extra keys are
// replaced in place or appended before the closing brace. Blank lines are
// copied; a null text passes through unmapped. A line that is not a JSON
// object, lacks the field or holds a non-string is an error naming the line,
// and so is a line that breaks the limits and text policy the dataset node
// applies (artifact.JSONLChecker): longer than artifact.MaxLineBytes, nested
// deeper than artifact.MaxJSONDepth, invalid UTF-8.
func RunJSONL[M Mapper](ctx context.Context, r io.Reader, w io.Writer, opt JSONLOptions, newMapper func(worker int) M) ([]M, error) {
	opt.defaults()
	if opt.UnitBytes <= 0 {
		opt.UnitBytes = 4 << 20
	}
	if opt.Name == "" {
		opt.Name = "input"
	}
	mappers := make([]M, opt.Workers)
	for i := range mappers {
		mappers[i] = newMapper(i)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tokens := make(chan struct{}, 2*opt.Workers)
	jobs := make(chan jsonlUnit)
	results := make(chan jsonlDone, opt.Workers)

	var readErr error
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(jobs)
		readErr = readUnits(ctx, r, opt, tokens, jobs)
	}()
	var wg sync.WaitGroup
	for i := range mappers {
		wg.Add(1)
		go func(m M) {
			defer wg.Done()
			jw := &jsonlWorker{opt: &opt, m: m}
			for u := range jobs {
				d := jw.process(u)
				select {
				case results <- d:
				case <-ctx.Done():
				}
			}
		}(mappers[i])
	}
	go func() { wg.Wait(); close(results) }()

	pending := map[int]jsonlDone{}
	next := 0
	var rows, byt int64
	var writeErr error
	for d := range results {
		if writeErr != nil {
			continue
		}
		pending[d.seq] = d
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if err := writeJSONL(w, opt.Rejects, p); err != nil {
				writeErr = err
				cancel(err)
				break
			}
			rows += p.rows
			byt += p.byt
			if opt.Progress != nil {
				opt.Progress(rows, byt)
			}
			<-tokens
		}
	}
	<-readDone
	switch {
	case writeErr != nil:
		return mappers, writeErr
	case readErr != nil && !errors.Is(readErr, context.Canceled):
		return mappers, readErr
	case ctx.Err() != nil:
		return mappers, context.Cause(ctx)
	}
	return mappers, nil
}

func writeJSONL(w, rejects io.Writer, d jsonlDone) error {
	if d.err != nil {
		return d.err
	}
	for _, b := range d.out {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
	}
	if rejects != nil && len(d.rej) > 0 {
		if _, err := rejects.Write(d.rej); err != nil {
			return fmt.Errorf("writing rejects: %w", err)
		}
	}
	return nil
}

// readUnits cuts r into units of whole lines. Its errors name the input.
func readUnits(ctx context.Context, r io.Reader, opt JSONLOptions, tokens chan struct{}, jobs chan<- jsonlUnit) error {
	br := bufio.NewReaderSize(r, 1<<20)
	seq, lineNo := 0, 0
	var chunks [][]byte
	var u jsonlUnit
	send := func() error {
		if len(u.lines) == 0 {
			return nil
		}
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		u.seq = seq
		select {
		case jobs <- u:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		seq++
		u = jsonlUnit{firstLine: lineNo}
		return nil
	}
	u.firstLine = 0
	for {
		start := len(u.data)
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			u.data, err = appendLong(u.data, br, line, chunks[:0])
			if err == errLong {
				return fmt.Errorf("%s:%d: %w", opt.Name, lineNo+1, artifact.ErrLineTooLong)
			}
		} else {
			u.data = append(u.data, line...)
		}
		if len(u.data) > start {
			u.lines = append(u.lines, span{start, len(u.data)})
			lineNo++
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s: %w", opt.Name, err)
		}
		if err == io.EOF || len(u.lines) >= opt.BatchRows || len(u.data) >= opt.UnitBytes {
			if serr := send(); serr != nil {
				return serr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

var errLong = errors.New("line too long")

// appendLong appends to dst a line longer than br's buffer, whose start is
// first, reading the rest of it. It keeps the pieces and joins them once
// at the end: growing one slice as they come would allocate several times
// the line. A line the checker would refuse anyway (longer than
// artifact.MaxLineBytes plus its terminator) stops it with errLong.
func appendLong(dst []byte, br *bufio.Reader, first []byte, chunks [][]byte) ([]byte, error) {
	n := len(first)
	chunks = append(chunks, bytes.Clone(first))
	var err error
	for {
		var b []byte
		b, err = br.ReadSlice('\n')
		if n += len(b); n > artifact.MaxLineBytes+2 {
			return nil, errLong
		}
		chunks = append(chunks, bytes.Clone(b))
		if !errors.Is(err, bufio.ErrBufferFull) {
			break
		}
	}
	dst = slices.Grow(dst, n)
	for _, c := range chunks {
		dst = append(dst, c...)
	}
	return dst, err
}

type jsonlWorker struct {
	opt   *JSONLOptions
	chk   artifact.JSONLChecker
	m     Mapper
	res   Result
	text  []byte
	line  []byte
	other []byte
}

// process maps the lines of one unit.
func (jw *jsonlWorker) process(u jsonlUnit) (d jsonlDone) {
	d.seq = u.seq
	defer func() {
		if r := recover(); r != nil {
			d.err = fmt.Errorf("%s: lines %d-: mapper panicked: %v (this is a bug in llmflow)", jw.opt.Name, u.firstLine+1, r)
		}
	}()
	var copies []byte // changed lines, copied out of the worker's buffers
	rawEnd := -1      // end in u.data of the last output slice when it is input
	emit := func(b []byte) {
		d.out = append(d.out, b)
		rawEnd = -1
	}
	for k, sp := range u.lines {
		raw := u.data[sp.start:sp.end]
		body, eol := splitEOL(raw)
		d.rows++
		out, drop, n, err := []byte(nil), false, 0, error(nil)
		if len(bytes.TrimSpace(body)) > 0 {
			out, drop, n, err = jw.line1(body)
		}
		if err != nil {
			d.err = fmt.Errorf("%s:%d: %w", jw.opt.Name, u.firstLine+k+1, err)
			return d
		}
		d.byt += int64(n)
		switch {
		case drop:
			if len(out) > 0 {
				d.rej = append(append(d.rej, out...), eol...)
				if len(eol) == 0 {
					d.rej = append(d.rej, '\n')
				}
			}
		case out == nil || &out[0] == &body[0]:
			// Unchanged (or blank): the input bytes themselves, joined to
			// the previous slice when it ends where this line starts.
			if rawEnd == sp.start {
				d.out[len(d.out)-1] = u.data[sp.start-len(d.out[len(d.out)-1]) : sp.end]
			} else {
				emit(raw)
			}
			rawEnd = sp.end
		case len(out) >= bigLine:
			jw.handOver(out)
			emit(out)
			emit(eol)
		default:
			start := len(copies)
			copies = append(append(copies, out...), eol...)
			emit(copies[start:])
		}
	}
	return d
}

// grownFor returns buf emptied, with room for line with key set to value.
func grownFor(buf, line []byte, key, value string) []byte {
	return slices.Grow(buf[:0], len(line)+2*(len(key)+len(value))+8)
}

// handOver gives buf, one of the worker's line buffers, to the writer: the
// worker allocates a new one for its next changed line.
func (jw *jsonlWorker) handOver(buf []byte) {
	switch &buf[0] {
	case unsafe.SliceData(jw.line):
		jw.line = nil
	case unsafe.SliceData(jw.other):
		jw.other = nil
	}
}

func splitEOL(b []byte) (body, eol []byte) {
	n := len(b)
	if n > 0 && b[n-1] == '\n' {
		n--
		if n > 0 && b[n-1] == '\r' {
			n--
		}
	}
	return b[:n], b[n:]
}

// line1 maps one JSON line. It returns the kept line (body itself when
// unchanged, else one of the worker's buffers), or drop with the rejected
// line (with its reason key; empty without Rejects), and the text length.
func (jw *jsonlWorker) line1(body []byte) (out []byte, drop bool, n int, err error) {
	field := jw.opt.Field
	if err := jw.chk.Check(body); err != nil {
		return nil, false, 0, err
	}
	val, _, found, err := objectField(body, field)
	if err != nil {
		return nil, false, 0, err
	}
	if !found {
		return nil, false, 0, fmt.Errorf("missing field %q", field)
	}
	raw := body[val.start:val.end]
	if string(raw) == "null" {
		return body, false, 0, nil
	}
	if raw[0] != '"' {
		return nil, false, 0, fmt.Errorf("field %q holds %.20s, want a string", field, raw)
	}
	var text string
	if bytes.IndexByte(raw, '\\') < 0 {
		// No escapes: the bytes are the text. The unit's input is never
		// written to, so the text can be a view of it, as the Arrow path's
		// texts are views of their batch.
		text = unsafe.String(unsafe.SliceData(raw[1:]), len(raw)-2)
	} else {
		// Decoding never lengthens a string: one allocation at most.
		jw.text, err = decodeString(raw, slices.Grow(jw.text[:0], len(raw)))
		if err != nil {
			return nil, false, 0, fmt.Errorf("field %q: %w", field, err)
		}
		// A view too: the buffer is only reused for the next line, and a
		// Mapper copies what it keeps beyond the call.
		text = unsafe.String(unsafe.SliceData(jw.text), len(jw.text))
	}
	res := &jw.res
	res.Text, res.Drop, res.Reason = text, false, ""
	if cap(res.Extra) < len(jw.opt.Extra) {
		res.Extra = make([]string, len(jw.opt.Extra))
	}
	res.Extra = res.Extra[:len(jw.opt.Extra)]
	clear(res.Extra)
	jw.m.Map(text, res)
	if res.Drop {
		if jw.opt.Rejects == nil {
			return nil, true, len(text), nil
		}
		jw.other, err = setField(grownFor(jw.other, body, ReasonColumn, res.Reason), body, ReasonColumn, res.Reason)
		return jw.other, true, len(text), err
	}
	line := body
	if res.Text != text {
		// Room for the usual case of a few escapes, so that a long line is
		// not regrown as it is built.
		jw.line = slices.Grow(jw.line[:0], len(body)-len(raw)+len(res.Text)+len(res.Text)/16+2)
		jw.line = append(jw.line, body[:val.start]...)
		jw.line = appendString(jw.line, res.Text)
		jw.line = append(jw.line, body[val.end:]...)
		line = jw.line
	}
	for i, key := range jw.opt.Extra {
		jw.other, err = setField(grownFor(jw.other, line, key, res.Extra[i]), line, key, res.Extra[i])
		if err != nil {
			return nil, false, 0, err
		}
		jw.line, jw.other = jw.other, jw.line
		line = jw.line
	}
	return line, false, len(text), nil
}
