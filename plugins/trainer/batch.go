package trainer

import "github.com/llmflow/llmflow/model"

// Row is one batch row of T positions, views into the buffers of a step that
// a Source fills.
type Row struct {
	Inputs, Targets, Seg []int32
	// Weights is the loss weight of every position: 0 where there is no
	// target or it is masked out.
	Weights []float32
}

// fill writes example e into r: inputs, next-token targets (-1 past its
// end), the first attendable position of each position (the greatest
// document start at or before it) and weights (1 for each target the mask
// leaves learned, else 0). It returns the number of targets and their total
// weight.
func fill(r Row, e, starts []int32, mask []uint8) (targets int, weight float64) {
	si, cur := 0, int32(0)
	for i := range r.Inputs {
		for si < len(starts) && int(starts[si]) <= i {
			cur = starts[si]
			si++
		}
		r.Seg[i] = cur
		if i+1 < len(e) {
			r.Inputs[i], r.Targets[i], r.Weights[i] = e[i], e[i+1], 1
			if mask != nil && mask[i+1] == 0 {
				r.Weights[i] = 0
			}
			targets++
			weight += float64(r.Weights[i])
			continue
		}
		r.Inputs[i], r.Targets[i], r.Weights[i] = 0, -1, 0
		if i >= len(e) {
			r.Seg[i] = int32(i) // padding attends only to itself
		}
	}
	return targets, weight
}

// buffers hold the rows of one optimizer step (or evaluation batch),
// allocated once.
type buffers struct {
	T                    int
	inputs, targets, seg []int32
	weights              []float32
}

func newBuffers(rows, T int) *buffers {
	n := rows * T
	return &buffers{T: T, inputs: make([]int32, n), targets: make([]int32, n), seg: make([]int32, n), weights: make([]float32, n)}
}

// row returns row i.
func (b *buffers) row(i int) Row {
	lo, hi := i*b.T, (i+1)*b.T
	return Row{Inputs: b.inputs[lo:hi], Targets: b.targets[lo:hi], Seg: b.seg[lo:hi], Weights: b.weights[lo:hi]}
}

// batch returns rows [first, first+n) as a model batch.
func (b *buffers) batch(first, n int, resetPositionIDs bool) model.Batch {
	lo, hi := first*b.T, (first+n)*b.T
	return model.Batch{B: n, T: b.T, Inputs: b.inputs[lo:hi], Targets: b.targets[lo:hi], Seg: b.seg[lo:hi],
		Weights: b.weights[lo:hi], ResetPositionIDs: resetPositionIDs}
}
