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

// TestSamplerVocab: ids at or past Vocab are never drawn, however likely,
// by any sampling mode.
func TestSamplerVocab(t *testing.T) {
	logits := []float32{0.5, 1, 0.2, 9, 8}
	for _, tc := range []struct {
		name string
		s    *Sampler
	}{
		{"greedy", &Sampler{Vocab: 3}},
		{"temperature", &Sampler{Temperature: 1, Vocab: 3, RNG: NewRNG(1)}},
		{"top-k", &Sampler{Temperature: 2, TopK: 4, Vocab: 3, RNG: NewRNG(2)}},
		{"top-p", &Sampler{Temperature: 1, TopP: 0.99, Vocab: 3, RNG: NewRNG(3)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < 200; i++ {
				if got := tc.s.Sample(logits); got >= 3 {
					t.Fatalf("drew id %d, past Vocab 3", got)
				}
			}
		})
	}
}

// TestGenerateStream: the callback sees each token as it is drawn, any of
// several stop ids ends generation, and returning false ends it early.
func TestGenerateStream(t *testing.T) {
	m := smallModel(t, 4)
	all, err := m.Generate([]int32{1, 2}, 12, &Sampler{}, -1)
	if err != nil {
		t.Fatal(err)
	}
	var seen []int32
	out, err := m.GenerateStream([]int32{1, 2}, 12, &Sampler{}, []int32{36, all[2]}, func(id int32) bool {
		seen = append(seen, id)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	stopAt := slices.IndexFunc(all, func(id int32) bool { return id == 36 || id == all[2] })
	if !slices.Equal(out, all[:stopAt+1]) || !slices.Equal(seen, out) {
		t.Fatalf("stream with stops gave %v (callback saw %v), want %v", out, seen, all[:stopAt+1])
	}
	n := 0
	out, err = m.GenerateStream([]int32{1, 2}, 12, &Sampler{}, nil, func(int32) bool { n++; return n < 2 })
	if err != nil || !slices.Equal(out, all[:2]) {
		t.Fatalf("interrupted stream: %v, %v; want %v", out, err, all[:2])
	}
}
