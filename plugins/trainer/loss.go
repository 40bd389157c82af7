package trainer

import "github.com/llmflow/llmflow/model"

// Loss is what a training step minimises, one micro-batch at a time.
type Loss interface {
	// Step adds scale times the gradient of the micro-batch's summed loss to
	// m.Grads and returns that summed loss. scale is 1 over the optimizer
	// step's total weight, so accumulated micro-batches give the gradient of
	// the mean.
	Step(m *model.Model, b model.Batch, scale float32) (float64, error)
}

// TokenLoss is next-token cross-entropy over the weighted targets, the Loss
// a Spec without one trains with.
type TokenLoss struct{}

// Step implements Loss.
func (TokenLoss) Step(m *model.Model, b model.Batch, scale float32) (float64, error) {
	sum, _, err := m.ForwardTrainBatch(b, scale)
	if err != nil {
		return 0, err
	}
	return sum, m.Backward(scale)
}
