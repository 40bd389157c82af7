package model

import (
	"slices"
	"testing"
)

func TestSampler(t *testing.T) {
	logits := []float32{0.1, 2, -1, 1.9, 0}
	for name, s := range map[string]*Sampler{
		"greedy":      {Temperature: 0},
		"top-k 1":     {Temperature: 1, TopK: 1, RNG: NewRNG(1)},
		"top-p small": {Temperature: 1, TopP: 0.01, RNG: NewRNG(1)},
	} {
		for i := 0; i < 20; i++ {
			if got := s.Sample(logits); got != 1 {
				t.Fatalf("%s: sampled %d, want 1", name, got)
			}
		}
	}
	// top-k 2 only ever yields the two best ids, both of them.
	s := &Sampler{Temperature: 1, TopK: 2, RNG: NewRNG(2)}
	seen := map[int]int{}
	for i := 0; i < 400; i++ {
		seen[s.Sample(logits)]++
	}
	if len(seen) != 2 || seen[1] == 0 || seen[3] == 0 {
		t.Fatalf("top-k 2 drew %v", seen)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	m := smallModel(t, 4)
	gen := func(seed uint64) []int32 {
		out, err := m.Generate([]int32{1, 2, 3}, 40, &Sampler{Temperature: 1, TopP: 0.9, RNG: NewRNG(seed)}, -1)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b, c := gen(7), gen(7), gen(8)
	if len(a) != 40 || !slices.Equal(a, b) {
		t.Fatalf("same seed gave %v and %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds gave the same 40 tokens")
	}
	// The context slides past n_positions (16) without error; stop ends early.
	out, err := m.Generate(nil, 5, &Sampler{}, a[0])
	if err != nil || len(out) == 0 || len(out) > 5 {
		t.Fatalf("generate with stop: %v, %v", out, err)
	}
}

// TestDecoderMatchesForward compares the KV-cache decoder with a full
// forward pass position by position.
func TestDecoderMatchesForward(t *testing.T) {
	m := smallModel(t, 8)
	r := NewRNG(3)
	for i := range m.Params {
		m.Params[i] += float32(r.Normal() * 0.1)
	}
	T := m.Config.NPositions
	ids := make([]int32, T)
	for i := range ids {
		ids[i] = int32(r.Intn(m.Config.VocabSize))
	}
	if _, _, err := m.Forward(ids, nil, nil, 1, T); err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), m.a.logits[:T*m.Config.VocabSize]...)
	d := m.NewDecoder()
	V := m.Config.VocabSize
	for i, id := range ids {
		got, err := d.Feed(id)
		if err != nil {
			t.Fatal(err)
		}
		for v := range got {
			if diff := float64(got[v] - want[i*V+v]); diff > 1e-4 || diff < -1e-4 {
				t.Fatalf("position %d token %d: decoder %v, forward %v", i, v, got[v], want[i*V+v])
			}
		}
	}
	if _, err := d.Feed(1); err == nil {
		t.Fatal("feeding past n_positions succeeded")
	}
}
