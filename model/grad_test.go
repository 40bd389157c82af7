package model

import (
	"fmt"
	"math"
	"testing"
)

// Finite-difference checks of every layer's backward pass. Each layer is
// wrapped in a scalar loss L = Σ out·w with fixed random weights w, so
// dL/dout = w; the analytic input and parameter gradients are compared with
// central differences taken in float32 with a step large enough to dwarf
// rounding noise.

func randVec(r *RNG, n int, std float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.Normal() * std)
	}
	return v
}

func weighted(out, w []float32) float64 {
	var s float64
	for i := range out {
		s += float64(out[i]) * float64(w[i])
	}
	return s
}

// checkGrad compares analytic with central differences of loss over x.
func checkGrad(t *testing.T, name string, x, analytic []float32, loss func() float64) {
	t.Helper()
	const eps = 1e-2
	worst := 0.0
	for i := range x {
		orig := x[i]
		x[i] = orig + eps
		lp := loss()
		x[i] = orig - eps
		lm := loss()
		x[i] = orig
		num := (lp - lm) / (2 * eps)
		a := float64(analytic[i])
		err := math.Abs(a-num) / (math.Abs(a) + math.Abs(num) + 1e-2)
		worst = max(worst, err)
		if err > 2e-2 {
			t.Errorf("%s[%d]: analytic %.6g, numeric %.6g", name, i, a, num)
			return
		}
	}
	t.Logf("%s: worst relative error %.2e over %d values", name, worst, len(x))
}

func TestGradMatmul(t *testing.T) {
	r := NewRNG(1)
	N, C, OC := 5, 7, 6
	inp, w, b := randVec(r, N*C, 1), randVec(r, OC*C, 1), randVec(r, OC, 1)
	up := randVec(r, N*OC, 1)
	out := make([]float32, N*OC)
	loss := func() float64 { matmulForward(out, inp, w, b, N, C, OC); return weighted(out, up) }
	dinp, dw, db := make([]float32, N*C), make([]float32, OC*C), make([]float32, OC)
	matmulBackward(dinp, dw, db, up, inp, w, N, C, OC)
	checkGrad(t, "dinp", inp, dinp, loss)
	checkGrad(t, "dw", w, dw, loss)
	checkGrad(t, "db", b, db, loss)
}

func TestGradLayerNorm(t *testing.T) {
	r := NewRNG(2)
	N, C := 4, 9
	inp, w, b := randVec(r, N*C, 1), randVec(r, C, 1), randVec(r, C, 1)
	up := randVec(r, N*C, 1)
	out, mean, rstd := make([]float32, N*C), make([]float32, N), make([]float32, N)
	loss := func() float64 { layernormForward(out, mean, rstd, inp, w, b, N, C, 1e-5); return weighted(out, up) }
	loss()
	dinp, dw, db := make([]float32, N*C), make([]float32, C), make([]float32, C)
	layernormBackward(dinp, dw, db, up, inp, w, mean, rstd, N, C)
	checkGrad(t, "dinp", inp, dinp, loss)
	checkGrad(t, "dw", w, dw, loss)
	checkGrad(t, "db", b, db, loss)
}

func TestGradGelu(t *testing.T) {
	r := NewRNG(3)
	inp, up := randVec(r, 50, 2), randVec(r, 50, 1)
	out := make([]float32, 50)
	loss := func() float64 { geluForward(out, inp); return weighted(out, up) }
	dinp := make([]float32, 50)
	geluBackward(dinp, inp, up)
	checkGrad(t, "dinp", inp, dinp, loss)
}

func TestGradAttention(t *testing.T) {
	for _, packed := range []bool{false, true} {
		t.Run(fmt.Sprintf("packed=%v", packed), func(t *testing.T) {
			r := NewRNG(4)
			B, T, C, NH := 2, 5, 8, 2
			qkv := randVec(r, B*T*3*C, 1)
			up := randVec(r, B*T*C, 1)
			var seg []int32
			if packed {
				// Row 0: documents [0,2) and [2,5); row 1: [0,1), [1,5).
				seg = []int32{0, 0, 2, 2, 2, 0, 1, 1, 1, 1}
			}
			out, att := make([]float32, B*T*C), make([]float32, B*NH*T*T)
			loss := func() float64 { attentionForward(false, out, att, qkv, seg, B, T, C, NH); return weighted(out, up) }
			loss()
			dqkv := make([]float32, B*T*3*C)
			attentionBackward(false, dqkv, up, qkv, att, seg, B, T, C, NH)
			checkGrad(t, "dqkv", qkv, dqkv, loss)
		})
	}
}

func TestGradCrossEntropy(t *testing.T) {
	r := NewRNG(5)
	N, V := 4, 7
	logits := randVec(r, N*V, 2)
	targets := []int32{3, -1, 0, 6}
	buf, losses := make([]float32, N*V), make([]float32, N)
	loss := func() float64 {
		copy(buf, logits)
		crossEntropyForward(losses, buf, targets, N, V)
		var s float64
		for _, l := range losses {
			s += float64(l)
		}
		return s
	}
	loss()
	crossEntropyBackward(losses, buf, targets, nil, N, V, 1)
	checkGrad(t, "dlogits", logits, append([]float32(nil), buf...), loss)
}

func TestGradEncoder(t *testing.T) {
	r := NewRNG(6)
	B, T, C, V := 2, 3, 4, 5
	inp := []int32{1, 4, 1, 0, 2, 1}
	wte, wpe := randVec(r, V*C, 1), randVec(r, T*C, 1)
	up := randVec(r, B*T*C, 1)
	out := make([]float32, B*T*C)
	var enc encoder
	loss := func() float64 { enc.forward(out, inp, nil, 0, wte, wpe, B, T, C); return weighted(out, up) }
	dwte, dwpe := make([]float32, V*C), make([]float32, T*C)
	enc.backward(dwte, dwpe, up, inp, nil, 0, B, T, C)
	checkGrad(t, "dwte", wte, dwte, loss)
	checkGrad(t, "dwpe", wpe, dwpe, loss)
}

// TestGradModel checks the whole network end to end, packed rows and ignored
// targets included, against finite differences on every parameter: plain,
// with per-token loss weights (a mask and fractional weights, the loss
// normalised by their sum), and with position ids restarting per document.
func TestGradModel(t *testing.T) {
	weights := []float32{1, 0, 1, 0.5, 1, 2, 0, 0, 1, 1, 1, 0.25}
	for _, tc := range []struct {
		name    string
		weights []float32
		reset   bool
	}{
		{"plain", nil, false},
		{"weights", weights, false},
		{"reset_position_ids", nil, true},
		{"weights+reset_position_ids", weights, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{VocabSize: 11, NPositions: 6, NLayer: 2, NHead: 2, NEmbd: 8, LayerNormEps: 1e-5}
			m, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := NewRNG(7)
			for i := range m.Params {
				m.Params[i] = float32(r.Normal() * 0.3)
			}
			b := Batch{B: 2, T: 6,
				Inputs:  []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1},
				Targets: []int32{2, 3, -1, 5, 6, 7, 8, 9, 10, 0, 1, 2},
				Seg:     []int32{0, 0, 0, 3, 3, 3, 0, 0, 2, 2, 2, 2},
				Weights: tc.weights, ResetPositionIDs: tc.reset}
			loss := func() float64 {
				s, w, err := m.ForwardBatch(b)
				if err != nil {
					t.Fatal(err)
				}
				return s / w
			}
			_, w, _ := m.ForwardBatch(b)
			m.ZeroGrad()
			if err := m.Backward(1 / float32(w)); err != nil {
				t.Fatal(err)
			}
			grads := append([]float32(nil), m.Grads...)
			for _, ts := range m.Tensors {
				checkGrad(t, ts.Name, m.Params[ts.Off:ts.Off+ts.Size], grads[ts.Off:ts.Off+ts.Size], loss)
			}
		})
	}
}

// TestGradHidden checks BackwardHidden with and without a language-model
// loss: L = [mean token loss] + Σ Hidden·u for fixed random u.
func TestGradHidden(t *testing.T) {
	for _, withLM := range []bool{false, true} {
		t.Run(fmt.Sprintf("lm=%v", withLM), func(t *testing.T) {
			cfg := Config{VocabSize: 11, NPositions: 6, NLayer: 2, NHead: 2, NEmbd: 8, LayerNormEps: 1e-5}
			m, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := NewRNG(9)
			for i := range m.Params {
				m.Params[i] = float32(r.Normal() * 0.3)
			}
			b := Batch{B: 2, T: 6, Inputs: []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1}}
			if withLM {
				b.Targets = []int32{2, 3, -1, 5, 6, 7, 8, 9, 10, 0, 1, 2}
			}
			u := randVec(r, b.B*b.T*cfg.NEmbd, 1)
			loss := func() float64 {
				s, w, err := m.ForwardBatch(b)
				if err != nil {
					t.Fatal(err)
				}
				h := weighted(m.Hidden(), u)
				if withLM {
					h += s / w
				}
				return h
			}
			_, w, _ := m.ForwardBatch(b)
			m.ZeroGrad()
			scale := float32(1)
			if withLM {
				scale = 1 / float32(w)
			}
			if err := m.BackwardHidden(scale, u); err != nil {
				t.Fatal(err)
			}
			if err := m.BackwardHidden(scale, u); err == nil {
				t.Fatal("a second backward pass over the same forward pass was accepted")
			}
			grads := append([]float32(nil), m.Grads...)
			for _, ts := range m.Tensors {
				checkGrad(t, ts.Name, m.Params[ts.Off:ts.Off+ts.Size], grads[ts.Off:ts.Off+ts.Size], loss)
			}
		})
	}
}

// TestGradHead checks a head's gradients and the transformer's under it:
// L = Σ_i c_i · head(row_i).
func TestGradHead(t *testing.T) {
	cfg := Config{VocabSize: 11, NPositions: 6, NLayer: 2, NHead: 2, NEmbd: 8, LayerNormEps: 1e-5}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRNG(3)
	for i := range m.Params {
		m.Params[i] = float32(r.Normal() * 0.3)
	}
	h, err := m.AttachHead("v_head.summary", true, 0.5, 4)
	if err != nil {
		t.Fatal(err)
	}
	b := Batch{B: 2, T: 6, Inputs: []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1}}
	rows, c := []int{5, 7, 11, 2}, []float32{1, -0.5, 2, 0.25}
	loss := func() float64 {
		if _, _, err := m.ForwardBatch(b); err != nil {
			t.Fatal(err)
		}
		return weighted(h.Forward(rows), c)
	}
	loss()
	m.ZeroGrad()
	dh := make([]float32, b.B*b.T*cfg.NEmbd)
	h.Backward(rows, c, dh)
	if err := m.BackwardHidden(1, dh); err != nil {
		t.Fatal(err)
	}
	grads := append([]float32(nil), m.Grads...)
	for _, ts := range m.Tensors {
		checkGrad(t, ts.Name, m.Params[ts.Off:ts.Off+ts.Size], grads[ts.Off:ts.Off+ts.Size], loss)
	}
}
