package model

import (
	"runtime"
	"testing"

	"github.com/llmflow/llmflow/model/kernel"
)

// TestThreadsBitIdentical trains a few steps at one and at two threads and
// requires bit-identical parameters, in fp32 and on each bf16 kernel path.
func TestThreadsBitIdentical(t *testing.T) {
	t.Run("fp32", func(t *testing.T) { checkThreadsBitIdentical(t, FP32) })
	for _, path := range []string{kernel.PathFP32, kernel.PathAVX512BF16} {
		t.Run("bf16/"+path, func(t *testing.T) {
			withKernelPath(t, path)
			checkThreadsBitIdentical(t, BF16)
		})
	}
}

// withKernelPath selects a bf16 kernel path for the rest of the test.
func withKernelPath(t *testing.T, path string) {
	t.Helper()
	old := kernel.Path()
	if err := kernel.SetPath(path); err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { kernel.SetPath(old) })
}

func checkThreadsBitIdentical(t *testing.T, prec Precision) {
	run := func(threads int) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
		kernel.SetThreads(threads)
		defer kernel.SetThreads(0)
		m, err := New(Config{VocabSize: 67, NPositions: 32, NLayer: 2, NHead: 4, NEmbd: 32, LayerNormEps: 1e-5})
		if err != nil {
			t.Fatal(err)
		}
		m.Init(9)
		m.SetPrecision(prec)
		opt := NewAdamW(len(m.Params), 0.1)
		r := NewRNG(1)
		B, T := 12, 32 // rows enough for several of the row-block partial sums
		in, tg, seg := make([]int32, B*T), make([]int32, B*T), make([]int32, B*T)
		for step := 0; step < 3; step++ {
			for i := range in {
				in[i], tg[i] = int32(r.Intn(67)), int32(r.Intn(67))
				if i%T >= 20 {
					seg[i] = 20
				}
			}
			m.ZeroGrad()
			scale := 1 / float32(B*T)
			if _, _, err := m.ForwardTrain(in, tg, seg, B, T, scale); err != nil {
				t.Fatal(err)
			}
			if err := m.Backward(scale); err != nil {
				t.Fatal(err)
			}
			opt.UpdateClipped(m, 1e-3, 1)
		}
		return m.Params
	}
	a, b := run(1), run(2)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("parameter %d differs between 1 and 2 threads: %v vs %v", i, a[i], b[i])
		}
	}
}
