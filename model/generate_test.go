package model

import (
	"fmt"
	"slices"
	"testing"
)

// testPrompts returns n prompts of different lengths (1..P/2 tokens).
func testPrompts(m *Model, n int, seed uint64) [][]int32 {
	r := NewRNG(seed)
	out := make([][]int32, n)
	for i := range out {
		p := make([]int32, 1+r.Intn(m.Config.NPositions/2))
		for j := range p {
			p[j] = int32(r.Intn(m.Config.VocabSize))
		}
		out[i] = p
	}
	return out
}

func samplers(n int, temp float64, seed uint64) []*Sampler {
	s := make([]*Sampler, n)
	for i := range s {
		s[i] = &Sampler{Temperature: temp, TopK: 20, RNG: NewRNG(seed + uint64(i))}
	}
	return s
}

// TestGenerateBatchMatchesUnbatched: a continuation is the same whether its
// prompt is decoded alone, with Generate, or in batches of any size that
// mix prompts of different lengths and refill freed rows.
func TestGenerateBatchMatchesUnbatched(t *testing.T) {
	m := randomModel(t)
	prompts := testPrompts(m, 7, 3)
	const maxNew, stop = 12, int32(5)
	for _, temp := range []float64{0, 1} {
		var want [][]int32
		for i, p := range prompts {
			got, err := m.Generate(p, maxNew, samplers(len(prompts), temp, 9)[i], stop)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, got)
		}
		for _, rows := range []int{1, 2, 3, 7, 16} {
			t.Run(fmt.Sprintf("temperature=%g/rows=%d", temp, rows), func(t *testing.T) {
				got, err := m.GenerateBatch(prompts, samplers(len(prompts), temp, 9), BatchOptions{MaxNew: maxNew, Rows: rows, Stop: stop})
				if err != nil {
					t.Fatal(err)
				}
				for i := range want {
					if !slices.Equal(got[i], want[i]) {
						t.Errorf("prompt %d: batched %v, alone %v", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// TestGenerateBatchDone: Done ends a continuation after the token it saw,
// and a full context ends one too.
func TestGenerateBatchDone(t *testing.T) {
	m := randomModel(t)
	P := m.Config.NPositions
	long := make([]int32, P+3)
	prompts := [][]int32{{1, 2}, {3}, long}
	done := func(i int, out []int32) bool { return i == 0 && len(out) == 2 }
	got, err := m.GenerateBatch(prompts, samplers(3, 0, 1), BatchOptions{MaxNew: 4, Rows: 2, Stop: -1, Done: done})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0]) != 2 || len(got[1]) != 4 || len(got[2]) != 1 {
		t.Errorf("lengths %d %d %d, want 2 4 1", len(got[0]), len(got[1]), len(got[2]))
	}
}

// randomModel is a model with random weights large enough (64 channels,
// 97 ids) for the matrix kernels to take their vector paths.
func randomModel(t testing.TB) *Model {
	t.Helper()
	m, err := New(Config{VocabSize: 97, NPositions: 32, NLayer: 2, NHead: 4, NEmbd: 64, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(4)
	r := NewRNG(5)
	for i := range m.Params {
		m.Params[i] += float32(r.Normal() * 0.1)
	}
	return m
}
