package trainer

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
)

// tokenColumns are the indices of a tokens dataset's columns (-1: absent).
type tokenColumns struct{ ids, starts, mask int }

func findTokenColumns(dir string, sc *arrow.Schema) (tokenColumns, error) {
	idx := func(name string) int {
		if i := sc.FieldIndices(name); len(i) == 1 {
			return i[0]
		}
		return -1
	}
	c := tokenColumns{ids: idx(artifact.ColInputIDs), starts: idx(artifact.ColDocStarts), mask: idx(artifact.ColLossMask)}
	if c.ids < 0 {
		return c, fmt.Errorf("%s: tokens dataset has no %s column", dir, artifact.ColInputIDs)
	}
	return c, nil
}

// tokenRecord holds the typed columns of one record batch.
type tokenRecord struct {
	ids, starts, mask *array.List
	idVals, startVals *array.Int32
	maskVals          *array.Uint8
}

// read types the columns of rec; a column of the wrong type is an error,
// except doc_starts, which older datasets may lack or type differently.
func (c tokenColumns) read(dir string, rec arrow.RecordBatch) (tokenRecord, error) {
	var r tokenRecord
	var ok bool
	if r.ids, ok = rec.Column(c.ids).(*array.List); ok {
		r.idVals, ok = r.ids.ListValues().(*array.Int32)
	}
	if !ok {
		return r, fmt.Errorf("%s: column %s is %s, want list<int32>", dir, artifact.ColInputIDs, rec.Column(c.ids).DataType())
	}
	if c.starts >= 0 {
		if r.starts, ok = rec.Column(c.starts).(*array.List); ok {
			r.startVals, _ = r.starts.ListValues().(*array.Int32)
		}
	}
	if c.mask >= 0 {
		if r.mask, ok = rec.Column(c.mask).(*array.List); ok {
			r.maskVals, ok = r.mask.ListValues().(*array.Uint8)
		}
		if !ok {
			return r, fmt.Errorf("%s: column %s is %s, want list<uint8>", dir, artifact.ColLossMask, rec.Column(c.mask).DataType())
		}
	}
	return r, nil
}

// row returns row i: its tokens (copied), document starts and loss mask
// (copied; nil when the row has none).
func (r tokenRecord) row(i int) (toks, starts []int32, mask []uint8, err error) {
	lo, hi := r.ids.ValueOffsets(i)
	toks = append([]int32(nil), r.idVals.Int32Values()[lo:hi]...)
	for j, t := range toks {
		if t < 0 {
			return nil, nil, nil, fmt.Errorf("token %d: negative id %d", j, t)
		}
	}
	if r.startVals != nil && !r.starts.IsNull(i) {
		slo, shi := r.starts.ValueOffsets(i)
		starts = r.startVals.Int32Values()[slo:shi]
	}
	if r.maskVals != nil && !r.mask.IsNull(i) {
		mlo, mhi := r.mask.ValueOffsets(i)
		if mhi-mlo != hi-lo {
			return nil, nil, nil, fmt.Errorf("%s holds %d values for %d tokens", artifact.ColLossMask, mhi-mlo, hi-lo)
		}
		mask = append([]uint8(nil), r.maskVals.Uint8Values()[mlo:mhi]...)
	}
	return toks, starts, mask, nil
}
