package model

import "fmt"

// Batch is the input of one forward pass: B rows of T positions, every slice
// B*T long and indexed [row*T + position].
type Batch struct {
	B, T   int
	Inputs []int32 // token ids
	// Targets holds the next-token id of every position, or -1 where no loss
	// is taken; nil runs the model without a loss.
	Targets []int32
	// Seg holds for every position the first position of its row it may
	// attend to (its document's start), which keeps packed documents apart;
	// nil lets every position attend to the whole row before it.
	Seg []int32
	// Weights holds a loss weight per position (nil: 1 for every target). A
	// weight scales that target's loss and gradient; 0 masks it out.
	Weights []float32
	// ResetPositionIDs numbers positions from their document's start
	// (t - Seg[t]) instead of from the row's start, so a document packed
	// into a row computes exactly what it would alone. Without Seg it
	// changes nothing.
	ResetPositionIDs bool
	// HeadOnTargets tells a forward pass that only the positions with a
	// target need the output head (their losses and log-probabilities, and
	// a later Backward): it skips the vocabulary-wide product elsewhere, and
	// Logits is nil there. Without targets it skips the head altogether, for
	// a head of its own on Hidden.
	HeadOnTargets bool
}

// check reports the first malformed field of b for a model of shape cfg.
func (b *Batch) check(cfg Config) error {
	B, T := b.B, b.T
	if B <= 0 || T <= 0 || T > cfg.NPositions {
		return fmt.Errorf("model: batch %dx%d outside 1..n_positions (%d)", B, T, cfg.NPositions)
	}
	N := B * T
	if len(b.Inputs) != N || (b.Targets != nil && len(b.Targets) != N) || (b.Seg != nil && len(b.Seg) != N) ||
		(b.Weights != nil && len(b.Weights) != N) {
		return fmt.Errorf("model: inputs, targets, seg and weights must hold B*T = %d values", N)
	}
	for i, id := range b.Inputs {
		if id < 0 || int(id) >= cfg.VocabSize {
			return fmt.Errorf("model: input %d: token id %d outside vocabulary of %d", i, id, cfg.VocabSize)
		}
	}
	for i, id := range b.Targets {
		if int(id) >= cfg.VocabSize || id < -1 {
			return fmt.Errorf("model: target %d: token id %d outside vocabulary of %d", i, id, cfg.VocabSize)
		}
	}
	for i, s := range b.Seg {
		if s < 0 || int(s) > i%T {
			return fmt.Errorf("model: seg %d: start %d not within 0..%d", i, s, i%T)
		}
	}
	return nil
}

// positionStarts is what the position embedding counts from: the document
// starts with ResetPositionIDs, else nil (the row's start).
func (b *Batch) positionStarts() []int32 {
	if b.ResetPositionIDs {
		return b.Seg
	}
	return nil
}
