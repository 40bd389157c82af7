package model

import (
	"math"
	"slices"
	"testing"
)

func TestSchedule(t *testing.T) {
	s := Schedule{LR: 1, MinLR: 0.1, WarmupSteps: 10, MaxSteps: 110}
	for _, c := range []struct {
		step int
		want float64
	}{{0, 0.1}, {9, 1}, {10, 1}, {60, 0.55}, {110, 0.1}, {500, 0.1}} {
		if got := s.At(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("At(%d) = %v, want %v", c.step, got, c.want)
		}
	}
}

// TestAdamWDecayMask checks one update by hand: linear weights decay,
// biases, LayerNorm and embeddings do not.
func TestAdamWDecayMask(t *testing.T) {
	m, err := New(Config{VocabSize: 5, NPositions: 4, NLayer: 1, NHead: 1, NEmbd: 4, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Params {
		m.Params[i] = 1
		m.Grads[i] = 0.5
	}
	opt := NewAdamW(len(m.Params), 0.1)
	opt.Update(m, 0.01)
	// Step 1: m̂ = g, v̂ = g², so the Adam step is lr·g/(|g|+eps) ≈ lr.
	adam := 0.01 * 0.5 / (0.5 + 1e-8)
	for _, ts := range m.Tensors {
		want := 1 - adam
		if ts.Decay {
			want -= 0.01 * 0.1
		}
		if got := float64(m.Params[ts.Off]); math.Abs(got-want) > 1e-6 {
			t.Errorf("%s: %v, want %v (decay %v)", ts.Name, got, want, ts.Decay)
		}
	}
}

func TestClipGrads(t *testing.T) {
	m, _ := New(Config{VocabSize: 5, NPositions: 4, NLayer: 1, NHead: 1, NEmbd: 4, LayerNormEps: 1e-5})
	for i := range m.Grads {
		m.Grads[i] = 1
	}
	n := m.ClipGrads(1)
	if want := math.Sqrt(float64(len(m.Grads))); math.Abs(n-want) > 1e-9 {
		t.Fatalf("norm %v, want %v", n, want)
	}
	if after := m.GradNorm(); math.Abs(after-1) > 1e-5 {
		t.Fatalf("norm after clipping %v", after)
	}
}

// TestUpdateClipped requires the fused clip to move parameters and moments
// exactly as ClipGrads followed by Update, with the norm over and under
// the limit, and to leave the gradients as they were.
func TestUpdateClipped(t *testing.T) {
	for _, maxNorm := range []float64{0.5, 1e9, 0} {
		a, b := smallModel(t, 1), smallModel(t, 1)
		r := NewRNG(3)
		for i := range a.Grads {
			a.Grads[i] = float32(r.Float64()-0.5) * 0.1
		}
		copy(b.Grads, a.Grads)
		grads := slices.Clone(a.Grads)
		oa, ob := NewAdamW(len(a.Params), 0.1), NewAdamW(len(b.Params), 0.1)
		for range 3 {
			na := a.ClipGrads(maxNorm)
			oa.Update(a, 1e-3)
			copy(a.Grads, grads)
			if nb := ob.UpdateClipped(b, 1e-3, maxNorm); nb != na {
				t.Fatalf("max norm %g: norm %v, want %v", maxNorm, nb, na)
			}
		}
		for name, pair := range map[string][2][]float32{"params": {a.Params, b.Params}, "m": {oa.M, ob.M}, "v": {oa.V, ob.V}, "grads": {grads, b.Grads}} {
			for i := range pair[0] {
				if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
					t.Fatalf("max norm %g: %s[%d] = %v, want %v", maxNorm, name, i, pair[1][i], pair[0][i])
				}
			}
		}
	}
}

// TestStepAllocs requires a training step to allocate nothing once the
// buffers exist, with and without loss weights and per-document positions.
func TestStepAllocs(t *testing.T) {
	m := smallModel(t, 1)
	opt := NewAdamW(len(m.Params), 0.1)
	B, T := 2, 16
	in, tg, seg, w := make([]int32, B*T), make([]int32, B*T), make([]int32, B*T), make([]float32, B*T)
	for i := range in {
		in[i], tg[i], w[i] = int32(i%37), int32((i+1)%37), float32(i%2)
		if i%T >= 5 {
			seg[i] = 5
		}
	}
	for _, b := range []Batch{
		{B: B, T: T, Inputs: in, Targets: tg},
		{B: B, T: T, Inputs: in, Targets: tg, Seg: seg, Weights: w, ResetPositionIDs: true},
	} {
		step := func() {
			m.ZeroGrad()
			m.ForwardTrainBatch(b, 1/float32(B*T))
			m.Backward(1 / float32(B*T))
			opt.UpdateClipped(m, 1e-3, 1)
		}
		step()
		if a := testing.AllocsPerRun(5, step); a > 0 {
			t.Fatalf("a training step (weights %v) allocates %v times", b.Weights != nil, a)
		}
	}
}
