package align

import (
	"fmt"

	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// pairRows is the trainer Source of preference pairs: every pair fills two
// consecutive rows, chosen then rejected, in an order reshuffled from the
// seed at every epoch. With an even batch size a pair never straddles two
// micro-batches. The loss learns which pairs a micro-batch holds from
// queue, since the trainer fills all rows of a step before running it.
type pairRows struct {
	pairs []EncodedPair
	seed  int64
	pos   trainer.Position // Cursor counts rows
	perm  []int
	seen  int64
	// queue holds the pair index of every chosen row filled and not yet
	// taken by the loss.
	queue []int
}

func newPairRows(pairs []EncodedPair, seed int64) (*pairRows, error) {
	if len(pairs) == 0 {
		return nil, fmt.Errorf("no preference pair to train on")
	}
	s := &pairRows{pairs: pairs, seed: seed, perm: make([]int, len(pairs))}
	trainer.Permute(s.perm, seed, 0)
	return s, nil
}

// Next implements trainer.Source. The pair's loss counts once, on its
// chosen row.
func (s *pairRows) Next(row trainer.Row) (targets int, weight float64) {
	if s.pos.Cursor >= 2*len(s.perm) {
		s.pos.Epoch++
		s.pos.Cursor = 0
		trainer.Permute(s.perm, s.seed, s.pos.Epoch)
	}
	i := s.perm[s.pos.Cursor/2]
	seq := s.pairs[i].Chosen
	if s.pos.Cursor%2 == 1 {
		seq = s.pairs[i].Rejected
	} else {
		s.queue = append(s.queue, i)
		s.seen++
		weight = 1
	}
	s.pos.Cursor++
	return fillRow(row.Inputs, row.Targets, row.Seg, row.Weights, seq), weight
}

// Position implements trainer.Source.
func (s *pairRows) Position() trainer.Position { return s.pos }

// Seek implements trainer.Source.
func (s *pairRows) Seek(p trainer.Position) {
	s.pos = p
	s.queue = s.queue[:0]
	trainer.Permute(s.perm, s.seed, s.pos.Epoch)
}

// Seen implements trainer.Counter: the pairs yielded.
func (s *pairRows) Seen() int64 { return s.seen }

// take returns the pair indices of the next n chosen rows.
func (s *pairRows) take(n int) ([]int, error) {
	if len(s.queue) < n {
		return nil, fmt.Errorf("a micro-batch holds %d pairs but %d were filled; this is a bug in llmflow", n, len(s.queue))
	}
	out := s.queue[:n:n]
	s.queue = s.queue[n:]
	if len(s.queue) == 0 {
		s.queue = nil // let the backing array go
	}
	return out, nil
}

// fillRow writes s into one row: next-token targets on the masked tokens
// (weight 1), −1 elsewhere; padding after the sequence attends only to
// itself. It returns the number of targets.
func fillRow(inputs, targets, seg []int32, weights []float32, s Sequence) int {
	n := 0
	for t := range inputs {
		inputs[t], targets[t], weights[t], seg[t] = 0, -1, 0, 0
		if t >= len(s.IDs) {
			seg[t] = int32(t)
			continue
		}
		inputs[t] = s.IDs[t]
		if t+1 < len(s.IDs) && s.Mask[t+1] != 0 {
			targets[t], weights[t] = s.IDs[t+1], 1
			n++
		}
	}
	return n
}

// lastTokens returns, for each row of b, the index (row·T + t) of its last
// token: the last position that does not attend only to itself.
func lastTokens(b model.Batch, dst []int) []int {
	dst = dst[:0]
	for r := range b.B {
		last := 0
		for t := 1; t < b.T; t++ {
			if b.Seg[r*b.T+t] != int32(t) {
				last = t
			}
		}
		dst = append(dst, r*b.T+last)
	}
	return dst
}

// maxLen is the longest sequence of pairs: the trainer's block size.
func maxLen(pairs ...[]EncodedPair) int {
	n := 2
	for _, ps := range pairs {
		for _, p := range ps {
			n = max(n, len(p.Chosen.IDs), len(p.Rejected.IDs))
		}
	}
	return n
}

// compactor cuts a micro-batch's rows to its longest sequence: padding
// after a sequence changes nothing it computes, and pairs vary in length
// far below the block size that fits the longest of the dataset.
type compactor struct {
	inputs, targets, seg []int32
	weights              []float32
}

// compact returns b with rows of the longest sequence's length, in buffers
// reused across calls, or b itself when nothing can be cut.
func (c *compactor) compact(b model.Batch) model.Batch {
	T := 1
	for r := range b.B {
		for t := b.T - 1; t >= T; t-- {
			if b.Seg[r*b.T+t] != int32(t) {
				T = t + 1
				break
			}
		}
	}
	if T == b.T {
		return b
	}
	n := b.B * T
	if len(c.inputs) < n {
		c.inputs, c.targets, c.seg, c.weights = make([]int32, n), make([]int32, n), make([]int32, n), make([]float32, n)
	}
	out := model.Batch{B: b.B, T: T, Inputs: c.inputs[:n], Targets: c.targets[:n], Seg: c.seg[:n], Weights: c.weights[:n],
		ResetPositionIDs: b.ResetPositionIDs}
	for r := range b.B {
		copy(out.Inputs[r*T:(r+1)*T], b.Inputs[r*b.T:])
		copy(out.Targets[r*T:(r+1)*T], b.Targets[r*b.T:])
		copy(out.Seg[r*T:(r+1)*T], b.Seg[r*b.T:])
		copy(out.Weights[r*T:(r+1)*T], b.Weights[r*b.T:])
	}
	return out
}
