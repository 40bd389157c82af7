package model

import (
	"math"
	"testing"
)

// TestPackedRowEqualsAlone packs three examples (and one padding position)
// into a row and requires, with ResetPositionIDs, the logits and losses each
// example gets when run alone; without it the later examples see shifted
// positions and differ.
func TestPackedRowEqualsAlone(t *testing.T) {
	m, err := New(Config{VocabSize: 29, NPositions: 16, NLayer: 2, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	r := NewRNG(11)
	for i := range m.Params {
		m.Params[i] = float32(r.Normal() * 0.2)
	}
	examples := [][]int32{{3, 7, 1, 28, 5}, {9, 9, 2, 4}, {11, 0, 6, 17, 21, 8}}
	const T = 16
	packed := Batch{B: 1, T: T, Inputs: make([]int32, T), Targets: make([]int32, T), Seg: make([]int32, T)}
	starts, off := []int{}, 0
	for _, e := range examples {
		starts = append(starts, off)
		for i, id := range e {
			packed.Inputs[off+i], packed.Seg[off+i], packed.Targets[off+i] = id, int32(off), -1
			if i+1 < len(e) {
				packed.Targets[off+i] = e[i+1]
			}
		}
		off += len(e)
	}
	packed.Seg[T-1], packed.Targets[T-1] = T-1, -1 // padding attends to itself
	for _, tc := range []struct {
		name  string
		reset bool
		equal bool
	}{{"reset_position_ids", true, true}, {"running_positions", false, false}} {
		t.Run(tc.name, func(t *testing.T) {
			packed.ResetPositionIDs = tc.reset
			if _, _, err := m.ForwardBatch(packed); err != nil {
				t.Fatal(err)
			}
			logits := append([]float32(nil), m.a.logits[:T*m.Config.VocabSize]...)
			losses := append([]float32(nil), m.Losses()...)
			worst := 0.0
			for k, e := range examples {
				alone := Batch{B: 1, T: len(e), Inputs: e, Targets: append(append([]int32(nil), e[1:]...), -1)}
				if _, _, err := m.ForwardBatch(alone); err != nil {
					t.Fatal(err)
				}
				for p := range e {
					want, got := m.Logits(0, p), logits[(starts[k]+p)*m.Config.VocabSize:][:len(m.Logits(0, p))]
					for v := range want {
						worst = max(worst, math.Abs(float64(got[v]-want[v])))
					}
					worst = max(worst, math.Abs(float64(losses[starts[k]+p]-m.Losses()[p])))
				}
			}
			t.Logf("largest difference from the examples run alone: %.3g", worst)
			if tc.equal && worst > 1e-6 {
				t.Fatalf("packed row differs from the examples alone by %.3g", worst)
			}
			if !tc.equal && worst < 1e-4 {
				t.Fatalf("running positions should change later examples, yet they differ by only %.3g", worst)
			}
		})
	}
}
