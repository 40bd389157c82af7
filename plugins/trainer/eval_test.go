package trainer

import (
	"math"
	"testing"

	"github.com/llmflow/llmflow/model"
)

// TestEvaluateMaskedExamples checks that Evaluate, which runs the output
// head only on the targets a loss mask keeps, gives the loss sum and target
// count of a forward pass over the same rows with the head everywhere.
func TestEvaluateMaskedExamples(t *testing.T) {
	m, err := model.New(model.Config{VocabSize: 31, NPositions: 16, NLayer: 1, NHead: 2, NEmbd: 8, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(3)
	r := model.NewRNG(4)
	d := &Data{MaxID: 30}
	for range 5 {
		n := 6 + r.Intn(10)
		e, mask := make([]int32, n), make([]uint8, n)
		for i := range e {
			e[i] = int32(r.Intn(31))
			if i >= n/2 { // the answer
				mask[i] = 1
			}
		}
		d.Examples, d.Masks, d.DocStarts = append(d.Examples, e), append(d.Masks, mask), append(d.DocStarts, []int32{0})
	}
	const B, T = 2, 16
	got, err := Evaluate(m, nil, d, EvalOptions{BatchSize: B, BlockSize: T})
	if err != nil {
		t.Fatal(err)
	}
	var want EvalResult
	buf := newBuffers(B, T)
	for b := 0; b*B < len(d.Examples); b++ {
		for row := range B {
			if i := b*B + row; i < len(d.Examples) {
				fill(buf.row(row), d.Examples[i], d.DocStarts[i], d.mask(i))
			} else {
				fill(buf.row(row), nil, nil, nil)
			}
		}
		s, w, err := m.ForwardBatch(buf.batch(0, B, false))
		if err != nil {
			t.Fatal(err)
		}
		want.LossSum += s
		want.Targets += int64(w)
	}
	if got.Targets != want.Targets || math.Abs(got.LossSum-want.LossSum) > 1e-9*math.Abs(want.LossSum) {
		t.Fatalf("Evaluate gives %v over %d targets, the full head %v over %d", got.LossSum, got.Targets, want.LossSum, want.Targets)
	}
	if want.Targets == 0 {
		t.Fatal("no target counted")
	}
}
