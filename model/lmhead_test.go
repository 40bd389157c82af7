package model

import (
	"fmt"
	"math"
	"testing"

	"github.com/llmflow/llmflow/model/kernel"
)

// TestTrainHeadSkipsUnweightedRows checks that a training pass, whose head
// runs only on targets of non-zero weight, gives the loss and gradients of
// the head run on every position (a forward pass, then Backward with the
// same weights), at 1 and 2 threads; with every weight zero it gives zero.
func TestTrainHeadSkipsUnweightedRows(t *testing.T) {
	m, err := New(Config{VocabSize: 37, NPositions: 16, NLayer: 2, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(5)
	const B, T = 3, 16
	r := NewRNG(6)
	b := Batch{B: B, T: T, Inputs: make([]int32, B*T), Targets: make([]int32, B*T), Weights: make([]float32, B*T)}
	for i := range b.Inputs {
		b.Inputs[i], b.Targets[i] = int32(r.Intn(37)), int32(r.Intn(37))
		switch {
		case i%T < 6: // a prompt: targets without weight
		case i%T == T-1:
			b.Targets[i] = -1
		default:
			b.Weights[i] = float32(0.5 + r.Float64())
		}
	}
	const scale = 0.05
	full := func() (float64, []float32) {
		m.ZeroGrad()
		if _, _, err := m.ForwardBatch(b); err != nil {
			t.Fatal(err)
		}
		if m.lmRows != nil {
			t.Fatal("a forward pass without gradient skipped head rows")
		}
		loss, _ := weightedSum(m.Losses(), b.Targets, b.Weights)
		if err := m.Backward(scale); err != nil {
			t.Fatal(err)
		}
		return loss, append([]float32(nil), m.Grads...)
	}
	skipping := func() (float64, []float32) {
		m.ZeroGrad()
		loss, _, err := m.ForwardTrainBatch(b, scale)
		if err != nil {
			t.Fatal(err)
		}
		if m.lmRows == nil {
			t.Fatal("the training pass ran the head on every position")
		}
		if err := m.Backward(scale); err != nil {
			t.Fatal(err)
		}
		return loss, append([]float32(nil), m.Grads...)
	}
	wantLoss, want := full()
	var first []float32
	for _, th := range []int{1, 2} {
		t.Run(fmt.Sprintf("threads=%d", th), func(t *testing.T) {
			kernel.SetThreads(th)
			defer kernel.SetThreads(0)
			loss, got := skipping()
			if math.Abs(loss-wantLoss) > 1e-5*math.Abs(wantLoss) {
				t.Fatalf("loss %v, with the head on every row %v", loss, wantLoss)
			}
			worst := 0.0
			for i := range got {
				worst = max(worst, math.Abs(float64(got[i]-want[i])))
			}
			if worst > 1e-6 {
				t.Fatalf("gradients differ by up to %.3g from the head run on every row", worst)
			}
			if first == nil {
				first = got
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
					t.Fatalf("gradient %d differs between thread counts", i)
				}
			}
		})
	}

	clear(b.Weights)
	loss, got := skipping()
	if loss != 0 {
		t.Fatalf("loss %v with every weight zero", loss)
	}
	for i, g := range got {
		if g != 0 {
			t.Fatalf("gradient %d is %v with every weight zero", i, g)
		}
	}
}

// TestHeadOnTargets checks a forward pass of a batch with HeadOnTargets,
// whose weights are set only before Backward (as DPO and PPO do): the
// losses, the logits at targets and the gradients are those of the head run
// on every position, and Logits is nil where there is no target.
func TestHeadOnTargets(t *testing.T) {
	m, err := New(Config{VocabSize: 41, NPositions: 12, NLayer: 2, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(8)
	const B, T, V = 2, 12, 41
	r := NewRNG(9)
	b := Batch{B: B, T: T, Inputs: make([]int32, B*T), Targets: make([]int32, B*T), Weights: make([]float32, B*T)}
	for i := range b.Inputs {
		b.Inputs[i], b.Targets[i] = int32(r.Intn(V)), -1
		if i%T >= 5 { // the response
			b.Targets[i] = int32(r.Intn(V))
		}
	}
	run := func(onTargets bool) (losses, logits, grads []float32) {
		b.HeadOnTargets = onTargets
		clear(b.Weights)
		m.ZeroGrad()
		if _, _, err := m.ForwardBatch(b); err != nil {
			t.Fatal(err)
		}
		losses = append([]float32(nil), m.Losses()...)
		for i := range B * T {
			l := m.Logits(i/T, i%T)
			if b.Targets[i] < 0 && onTargets {
				if l != nil {
					t.Fatalf("position %d has no target but logits", i)
				}
				l = make([]float32, V)
			}
			logits = append(logits, l...)
		}
		for i := range b.Weights { // weights chosen after the forward pass
			if b.Targets[i] >= 0 {
				b.Weights[i] = float32(i%3) - 0.5
			}
		}
		if err := m.Backward(0.1); err != nil {
			t.Fatal(err)
		}
		return losses, logits, append([]float32(nil), m.Grads...)
	}
	wl, wlog, wg := run(false)
	gl, glog, gg := run(true)
	if m.lmRows == nil {
		t.Fatal("HeadOnTargets ran the head on every position")
	}
	for _, c := range []struct {
		name      string
		got, want []float32
		skip      func(i int) bool
	}{
		{"loss", gl, wl, nil},
		{"logit", glog, wlog, func(i int) bool { return b.Targets[i/V] < 0 }},
		{"gradient", gg, wg, nil},
	} {
		for i := range c.got {
			if c.skip != nil && c.skip(i) {
				continue
			}
			if d := math.Abs(float64(c.got[i] - c.want[i])); d > 1e-5 {
				t.Fatalf("%s %d: %v, with the head on every position %v", c.name, i, c.got[i], c.want[i])
			}
		}
	}
}
