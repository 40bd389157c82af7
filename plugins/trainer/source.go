package trainer

import (
	"errors"

	"github.com/llmflow/llmflow/model"
)

// Position is where a Source stands in its order; the training state saves
// it so that a resumed run sees the rows an uninterrupted one would.
type Position struct{ Epoch, Cursor int }

// Source yields the rows of training batches in a reproducible order.
type Source interface {
	// Next fills row with the next example and returns its number of
	// targets (counted towards max_tokens) and their total loss weight (an
	// optimizer step's loss is normalised by the sum over its rows).
	Next(row Row) (targets int, weight float64)
	// Position reports where the source stands; Seek returns there.
	Position() Position
	Seek(Position)
}

// Counter is a Source that also counts the examples it has yielded, which
// the trainer reports as the metric examples_seen.
type Counter interface {
	Seen() int64
}

// Shuffled is the Source of a token dataset: its examples in an order
// reshuffled from the seed at every epoch.
type Shuffled struct {
	d    *Data
	seed int64
	pos  Position
	perm []int
}

// NewShuffled returns the examples of d from the start of epoch 0.
func NewShuffled(d *Data, seed int64) (*Shuffled, error) {
	if d == nil || len(d.Examples) == 0 {
		return nil, errors.New("the training dataset has no row of two or more tokens")
	}
	s := &Shuffled{d: d, seed: seed, perm: make([]int, len(d.Examples))}
	s.shuffle()
	return s, nil
}

// Next implements Source.
func (s *Shuffled) Next(row Row) (targets int, weight float64) {
	if s.pos.Cursor >= len(s.perm) {
		s.pos.Epoch++
		s.pos.Cursor = 0
		s.shuffle()
	}
	i := s.perm[s.pos.Cursor]
	s.pos.Cursor++
	return fill(row, s.d.Examples[i], s.d.DocStarts[i], s.d.mask(i))
}

// Position implements Source.
func (s *Shuffled) Position() Position { return s.pos }

// Seek implements Source.
func (s *Shuffled) Seek(p Position) {
	s.pos = p
	s.shuffle()
}

// shuffle derives the order of the current epoch from the seed, so the
// position is all a resumed run needs.
func (s *Shuffled) shuffle() { Permute(s.perm, s.seed, s.pos.Epoch) }

// Permute sets perm to the order of epoch under seed: the shuffle every
// Source of the trainer uses, so a resumed run sees the same order.
func Permute(perm []int, seed int64, epoch int) {
	for i := range perm {
		perm[i] = i
	}
	r := model.NewRNG(uint64(seed)*0x9e3779b97f4a7c15 + uint64(epoch))
	for i := len(perm) - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
}
