package model

import (
	"slices"
	"testing"
)

func TestGrowVocab(t *testing.T) {
	m, err := New(Config{VocabSize: 7, NPositions: 8, NLayer: 1, NHead: 2, NEmbd: 4, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(3)
	for _, tc := range []struct {
		name         string
		vocab, known int
	}{
		{"grow", 10, 7},
		{"grow and reset unused ids", 10, 5},
		{"reset only", 7, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := GrowVocab(m, tc.vocab, tc.known)
			if err != nil {
				t.Fatal(err)
			}
			if g.Config.VocabSize != tc.vocab || len(g.Params) != g.Config.NumParams() {
				t.Fatalf("vocab %d, %d params", g.Config.VocabSize, len(g.Params))
			}
			C := m.Config.NEmbd
			_, wte, _ := m.Tensor("wte.weight")
			_, gwte, _ := g.Tensor("wte.weight")
			if !slices.Equal(gwte[:tc.known*C], wte[:tc.known*C]) {
				t.Error("known rows changed")
			}
			for i := tc.known; i < tc.vocab; i++ {
				for j := range C {
					var sum float64
					for k := range tc.known {
						sum += float64(wte[k*C+j])
					}
					if want := float32(sum / float64(tc.known)); gwte[i*C+j] != want {
						t.Fatalf("row %d col %d = %v, want the mean %v", i, j, gwte[i*C+j], want)
					}
				}
			}
			for _, ts := range m.Tensors[1:] {
				_, a, _ := m.Tensor(ts.Name)
				_, b, _ := g.Tensor(ts.Name)
				if !slices.Equal(a, b) {
					t.Errorf("%s changed", ts.Name)
				}
			}
			if _, _, err := g.Forward([]int32{int32(tc.vocab - 1), 0}, []int32{1, int32(tc.vocab - 1)}, nil, 1, 2); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := GrowVocab(m, 6, 6); err == nil {
		t.Error("shrinking the vocabulary did not fail")
	}
}
