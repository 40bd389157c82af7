package trainer

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/artifact"
)

// Data is a tokens dataset cut into training examples of at most
// block_size+1 tokens.
type Data struct {
	Examples [][]int32
	// DocStarts[i] lists the offsets inside Examples[i] where a document
	// begins, ascending.
	DocStarts [][]int32
	// Masks[i], when present and not nil, marks the tokens of Examples[i]
	// that are learned (1) rather than only read as context (0, e.g. a
	// prompt): a masked token is no target.
	Masks [][]uint8
	MaxID int32
}

// Tokens returns the number of tokens over all examples.
func (d *Data) Tokens() int64 {
	var n int64
	for _, e := range d.Examples {
		n += int64(len(e))
	}
	return n
}

// mask returns the loss mask of example i (nil: every token is learned).
func (d *Data) mask(i int) []uint8 {
	if i < len(d.Masks) {
		return d.Masks[i]
	}
	return nil
}

// LoadData reads the input_ids column of the tokens dataset in dir, and its
// doc_starts and loss_mask columns when present. Rows longer than
// blockSize+1 are cut into pieces of blockSize+1 tokens that overlap by one,
// so every token is a target once.
func LoadData(ctx context.Context, dir string, blockSize int) (*Data, error) {
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		return nil, err
	}
	cols, err := findTokenColumns(dir, ds.Schema())
	if err != nil {
		return nil, err
	}
	d := &Data{}
	row := int64(0)
	err = ds.Scan(ctx, func(rec arrow.RecordBatch) error {
		r, err := cols.read(dir, rec)
		if err != nil {
			return err
		}
		for i := 0; i < r.ids.Len(); i++ {
			toks, starts, mask, err := r.row(i)
			if err != nil {
				return fmt.Errorf("%s: row %d: %w", dir, row, err)
			}
			for _, t := range toks {
				d.MaxID = max(d.MaxID, t)
			}
			d.Add(toks, starts, mask, blockSize)
			row++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Add appends one row of tokens whose documents begin at starts, with its
// loss mask (nil: every token is learned), cut into examples of at most
// blockSize+1 tokens that overlap by one. MaxID is the caller's to keep.
func (d *Data) Add(toks, starts []int32, mask []uint8, blockSize int) {
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
		if mask != nil || d.Masks != nil {
			// Keep Masks aligned with Examples once any row has a mask.
			d.Masks = append(d.Masks, make([][]uint8, len(d.Examples)-1-len(d.Masks))...)
			var m []uint8
			if mask != nil {
				m = mask[off:end]
			}
			d.Masks = append(d.Masks, m)
		}
	}
}
