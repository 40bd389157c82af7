package trainer

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
)

// Data is a tokens dataset cut into training examples of at most
// block_size+1 tokens.
type Data struct {
	Examples [][]int32
	// DocStarts[i] lists the offsets inside Examples[i] where a document
	// begins, ascending.
	DocStarts [][]int32
	MaxID     int32
}

// Tokens returns the number of tokens over all examples.
func (d *Data) Tokens() int64 {
	var n int64
	for _, e := range d.Examples {
		n += int64(len(e))
	}
	return n
}

// LoadData reads the input_ids (and doc_starts, when present) columns of the
// tokens dataset in dir. Rows longer than blockSize+1 are cut into pieces of
// blockSize+1 tokens that overlap by one, so every token is a target once.
func LoadData(ctx context.Context, dir string, blockSize int) (*Data, error) {
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		return nil, err
	}
	sc := ds.Schema()
	idIdx := sc.FieldIndices(artifact.ColInputIDs)
	if len(idIdx) != 1 {
		return nil, fmt.Errorf("%s: tokens dataset has no %s column", dir, artifact.ColInputIDs)
	}
	dsIdx := sc.FieldIndices(artifact.ColDocStarts)
	d := &Data{}
	row := int64(0)
	err = ds.Scan(ctx, func(rec arrow.RecordBatch) error {
		ids, ok := rec.Column(idIdx[0]).(*array.List)
		if !ok {
			return fmt.Errorf("%s: column %s is %s, want list<int32>", dir, artifact.ColInputIDs, rec.Column(idIdx[0]).DataType())
		}
		vals, ok := ids.ListValues().(*array.Int32)
		if !ok {
			return fmt.Errorf("%s: column %s is %s, want list<int32>", dir, artifact.ColInputIDs, ids.DataType())
		}
		var starts *array.List
		var svals *array.Int32
		if len(dsIdx) == 1 {
			if starts, ok = rec.Column(dsIdx[0]).(*array.List); ok {
				svals, _ = starts.ListValues().(*array.Int32)
			}
		}
		for i := 0; i < ids.Len(); i++ {
			lo, hi := ids.ValueOffsets(i)
			toks := append([]int32(nil), vals.Int32Values()[lo:hi]...)
			for j, t := range toks {
				if t < 0 {
					return fmt.Errorf("%s: row %d token %d: negative id %d", dir, row, j, t)
				}
				d.MaxID = max(d.MaxID, t)
			}
			var ds []int32
			if svals != nil && !starts.IsNull(i) {
				slo, shi := starts.ValueOffsets(i)
				ds = svals.Int32Values()[slo:shi]
			}
			d.Add(toks, ds, blockSize)
			row++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Add appends one row of tokens whose documents begin at starts, cut into
// examples of at most blockSize+1 tokens that overlap by one. MaxID is the
// caller's to keep.
func (d *Data) Add(toks, starts []int32, blockSize int) {
	for off := 0; off+1 < len(toks); off += blockSize {
		end := min(off+blockSize+1, len(toks))
		var s []int32
		for _, v := range starts {
			if int(v) >= off && int(v) < end {
				s = append(s, v-int32(off))
			}
		}
		d.Examples = append(d.Examples, toks[off:end])
		d.DocStarts = append(d.DocStarts, s)
	}
}
