package trainer

import (
	"errors"
	"fmt"
)

// Packed is a Source that packs whole examples into rows, several to a row,
// for fine-tuning on many short examples. Every epoch it shuffles the
// examples from the seed and puts the next ones into a row while they fit;
// an example never spans two rows, so one that does not fit starts the next
// row, and the rest of a row is padding (the pad id, weight 0). Each example
// is a document of its own: with Config.ResetPositionIDs it computes in a
// packed row exactly what it would alone.
type Packed struct {
	d    *Data
	T    int
	pad  int32
	seed int64
	pos  Position
	perm []int
	// The row being packed, allocated once.
	toks, starts []int32
	mask         []uint8
}

// NewPacked returns the examples of d (each at most T+1 tokens, at least 2)
// packed into rows of T positions, padded with pad, from epoch 0. Each
// example's mask (Data.Masks, nil: all learned) marks its learned tokens;
// an example's first token is never a target, so no loss crosses from one
// example into the next.
func NewPacked(d *Data, T int, pad int32, seed int64) (*Packed, error) {
	if d == nil || len(d.Examples) == 0 {
		return nil, errors.New("the training dataset has no example")
	}
	for i, e := range d.Examples {
		if len(e) < 2 || len(e) > T+1 {
			return nil, fmt.Errorf("example %d has %d tokens, want 2..%d; this is a bug in llmflow", i, len(e), T+1)
		}
	}
	p := &Packed{d: d, T: T, pad: pad, seed: seed, perm: make([]int, len(d.Examples)),
		toks: make([]int32, T+1), starts: make([]int32, 0, T+1), mask: make([]uint8, T+1)}
	p.shuffle()
	return p, nil
}

// Next implements Source.
func (p *Packed) Next(row Row) (targets int, weight float64) {
	n := 0
	p.starts = p.starts[:0]
	for {
		if p.pos.Cursor >= len(p.perm) {
			if n > 0 {
				break // an epoch's last row is not topped up from the next
			}
			p.pos.Epoch++
			p.pos.Cursor = 0
			p.shuffle()
		}
		i := p.perm[p.pos.Cursor]
		e := p.d.Examples[i]
		if n+len(e) > p.T+1 {
			break
		}
		p.starts = append(p.starts, int32(n))
		copy(p.toks[n:], e)
		if m := p.d.mask(i); m != nil {
			copy(p.mask[n:], m)
		} else {
			for j := range e {
				p.mask[n+j] = 1
			}
		}
		p.mask[n] = 0 // the previous example's last token predicts nothing
		n += len(e)
		p.pos.Cursor++
	}
	targets, weight = fill(row, p.toks[:n], p.starts, p.mask[:n])
	for i := n - 1; i < len(row.Inputs); i++ {
		row.Inputs[i] = p.pad
	}
	return targets, weight
}

// Position implements Source.
func (p *Packed) Position() Position { return p.pos }

// Seek implements Source.
func (p *Packed) Seek(pos Position) {
	p.pos = pos
	p.shuffle()
}

// Seen implements Counter.
func (p *Packed) Seen() int64 { return int64(p.pos.Epoch)*int64(len(p.perm)) + int64(p.pos.Cursor) }

func (p *Packed) shuffle() { Permute(p.perm, p.seed, p.pos.Epoch) }
