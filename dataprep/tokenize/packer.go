package tokenize

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/llmflow/llmflow/artifact"
)

// Flush thresholds of the row builders: record batches stay a few MB.
const (
	flushRows   = 1024
	flushTokens = 1 << 20
)

// Schema is the schema of the token datasets Run writes:
// input_ids list<int32>, doc_starts list<int32>.
func Schema() *arrow.Schema { return artifact.TokensSchema(false, true) }

// packer cuts one split's token stream into rows and writes them.
type packer struct {
	w        *artifact.DatasetWriter
	block    int
	pack     bool
	dropLast bool

	buf    []int32 // pending tokens; rows start at off
	starts []int32 // absolute offsets in buf where documents begin
	off    int

	ids, docStarts   *array.ListBuilder
	idVals, dsVals   *array.Int32Builder
	pendRows, pendTk int

	rows, tokens, dropped int64
}

func newPacker(w *artifact.DatasetWriter, cfg Config) *packer {
	mem := memory.DefaultAllocator
	p := &packer{w: w, block: cfg.BlockSize, pack: cfg.Pack, dropLast: cfg.DropLast,
		ids:       array.NewListBuilder(mem, arrow.PrimitiveTypes.Int32),
		docStarts: array.NewListBuilder(mem, arrow.PrimitiveTypes.Int32),
	}
	p.idVals = p.ids.ValueBuilder().(*array.Int32Builder)
	p.dsVals = p.docStarts.ValueBuilder().(*array.Int32Builder)
	return p
}

// addDoc appends one document's tokens and the end-of-text token.
func (p *packer) addDoc(toks []int32, eot int32) error {
	p.starts = append(p.starts, int32(len(p.buf)))
	p.buf = append(p.buf, toks...)
	p.buf = append(p.buf, eot)
	if err := p.emitFull(); err != nil {
		return err
	}
	if !p.pack {
		return p.finishStream()
	}
	// Compact once per document rather than once per row.
	if p.off > 0 {
		n := copy(p.buf, p.buf[p.off:])
		p.buf = p.buf[:n]
		k := 0
		for _, s := range p.starts {
			if s >= int32(p.off) {
				p.starts[k] = s - int32(p.off)
				k++
			}
		}
		p.starts = p.starts[:k]
		p.off = 0
	}
	return nil
}

// emitFull writes every complete row; rows overlap by one token.
func (p *packer) emitFull() error {
	for len(p.buf)-p.off >= p.block+1 {
		if err := p.row(p.off, p.off+p.block+1); err != nil {
			return err
		}
		p.off += p.block
	}
	return nil
}

// finishStream writes what is left as a short row (unless DropLast) and
// resets the stream. A single leftover token was already the target of the
// previous row and gives no input/target pair, so it is not a row.
func (p *packer) finishStream() error {
	n := len(p.buf) - p.off
	var err error
	switch {
	case n >= 2 && !p.dropLast:
		err = p.row(p.off, len(p.buf))
	case n >= 2:
		p.dropped += int64(n)
	}
	p.buf, p.starts, p.off = p.buf[:0], p.starts[:0], 0
	return err
}

func (p *packer) row(from, to int) error {
	p.ids.Append(true)
	p.idVals.AppendValues(p.buf[from:to], nil)
	p.docStarts.Append(true)
	for _, s := range p.starts {
		if int(s) >= from && int(s) < to {
			p.dsVals.Append(s - int32(from))
		}
	}
	p.rows++
	p.tokens += int64(to - from)
	p.pendRows++
	p.pendTk += to - from
	if p.pendRows >= flushRows || p.pendTk >= flushTokens {
		return p.flush()
	}
	return nil
}

func (p *packer) flush() error {
	if p.pendRows == 0 {
		return nil
	}
	ids := p.ids.NewArray()
	defer ids.Release()
	ds := p.docStarts.NewArray()
	defer ds.Release()
	rec := array.NewRecordBatch(Schema(), []arrow.Array{ids, ds}, int64(p.pendRows))
	defer rec.Release()
	p.pendRows, p.pendTk = 0, 0
	return p.w.Write(rec)
}

// close writes the last row and flushes; it does not close the writer.
func (p *packer) close() error {
	if err := p.finishStream(); err != nil {
		return err
	}
	return p.flush()
}

func (p *packer) release() {
	p.ids.Release()
	p.docStarts.Release()
}
