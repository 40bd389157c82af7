package model

import (
	"math"
	"testing"

	"github.com/llmflow/llmflow/model/kernel"
)

func TestParsePrecision(t *testing.T) {
	for in, want := range map[string]Precision{"": FP32, "fp32": FP32, "bf16": BF16} {
		if got, err := ParsePrecision(in); err != nil || got != want {
			t.Errorf("ParsePrecision(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParsePrecision("fp16"); err == nil {
		t.Error("ParsePrecision accepted fp16")
	}
}

// lossAndGrads runs one forward and backward pass of a small model at prec.
func lossAndGrads(t *testing.T, prec Precision) (float64, []float32) {
	t.Helper()
	m, err := New(Config{VocabSize: 97, NPositions: 48, NLayer: 2, NHead: 4, NEmbd: 64, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(3)
	m.SetPrecision(prec)
	r := NewRNG(4)
	B, T := 4, 48
	in, tg := make([]int32, B*T), make([]int32, B*T)
	for i := range in {
		in[i], tg[i] = int32(r.Intn(97)), int32(r.Intn(97))
	}
	m.ZeroGrad()
	scale := 1 / float32(B*T)
	loss, _, err := m.ForwardTrain(in, tg, nil, B, T, scale)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Backward(scale); err != nil {
		t.Fatal(err)
	}
	return loss / float64(B*T), append([]float32(nil), m.Grads...)
}

// TestBF16NearFP32 bounds what bf16 operands change: bf16 keeps 8 bits of
// mantissa (relative rounding 2^-9 ≈ 0.2%), and errors of independent
// roundings average out over a sum, so the loss moves by far less than 1%
// and the gradient by a few percent in norm.
func TestBF16NearFP32(t *testing.T) {
	want, wantG := lossAndGrads(t, FP32)
	for _, path := range []string{kernel.PathFP32, kernel.PathAVX512BF16} {
		t.Run(path, func(t *testing.T) {
			withKernelPath(t, path)
			got, g := lossAndGrads(t, BF16)
			if math.Abs(got-want) > 2e-3*want {
				t.Errorf("bf16 loss %g, fp32 loss %g", got, want)
			}
			var num, den float64
			same := true
			for i := range g {
				d := float64(g[i] - wantG[i])
				num += d * d
				den += float64(wantG[i]) * float64(wantG[i])
				same = same && g[i] == wantG[i]
			}
			rel := math.Sqrt(num / den)
			t.Logf("loss %.6f vs %.6f, gradient distance %.4f of its norm", got, want, rel)
			if rel > 0.03 {
				t.Errorf("bf16 gradient is %.3g of the fp32 gradient's norm away from it", rel)
			}
			if same {
				t.Error("bf16 gradient equals the fp32 one: the precision was not applied")
			}
		})
	}
}
