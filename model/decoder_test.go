package model

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// attachedModels returns the small test model with each kind of attachment
// given trained-looking values, and with all of them at once.
func attachedModels(t *testing.T) map[string]*Model {
	t.Helper()
	lora := func(m *Model) error {
		return m.AttachLoRA(LoRA{R: 4, Alpha: 8, Dropout: 0.1, TargetModules: LoRAModules[:]}, 2)
	}
	adapters := func(m *Model) error { return m.AttachAdapters(Adapters{Bottleneck: 4}, 3) }
	prefix := func(m *Model) error { return m.AttachPrefix(Prefix{NumVirtualTokens: 3}, 4) }
	out := map[string]*Model{}
	for name, attach := range map[string][]func(*Model) error{
		"lora":    {lora},
		"adapter": {adapters},
		"prefix":  {prefix},
		"prefix+projection": {func(m *Model) error {
			return m.AttachPrefix(Prefix{NumVirtualTokens: 5, Projection: 8}, 4)
		}},
		"all": {lora, adapters, prefix},
	} {
		m := smallModel(t, 8)
		for _, a := range attach {
			if err := a(m); err != nil {
				t.Fatal(err)
			}
		}
		randomizeExtra(m, 5)
		out[name] = m
	}
	return out
}

// forwardLogits runs a full forward pass over ids and returns a copy of the
// logits of every position.
func forwardLogits(t *testing.T, m *Model, ids []int32) []float32 {
	t.Helper()
	if _, _, err := m.Forward(ids, nil, nil, 1, len(ids)); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), m.a.logits[:len(ids)*m.Config.VocabSize]...)
}

// TestDecoderAttachments requires the KV-cache decoder to compute what a
// full forward pass does with LoRA, bottleneck adapters and prefixes
// attached, position by position up to the context's end, and to refuse a
// token past it.
func TestDecoderAttachments(t *testing.T) {
	for name, m := range attachedModels(t) {
		t.Run(name, func(t *testing.T) {
			r := NewRNG(3)
			T, V := m.MaxTokens(), m.Config.VocabSize
			ids := make([]int32, T)
			for i := range ids {
				ids[i] = int32(r.Intn(V))
			}
			want := forwardLogits(t, m, ids)
			d := m.NewDecoder()
			worst := 0.0
			for i, id := range ids {
				got, err := d.Feed(id)
				if err != nil {
					t.Fatal(err)
				}
				for v := range got {
					worst = max(worst, math.Abs(float64(got[v]-want[i*V+v])))
				}
			}
			if worst > 1e-4 {
				t.Fatalf("decoder and forward logits differ by up to %g", worst)
			}
			if _, err := d.Feed(1); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("full (%d tokens)", T)) {
				t.Fatalf("feeding past %d tokens: err = %v", T, err)
			}
		})
	}
}

// TestGreedyAttachments: greedy generation with each attachment picks, at
// every step, the argmax of the full forward pass's logits over the
// context so far, alone and in a batch; past the context it slides the
// window as the model's MaxTokens allows.
func TestGreedyAttachments(t *testing.T) {
	for name, m := range attachedModels(t) {
		t.Run(name, func(t *testing.T) {
			prompt := []int32{3, 1, 4, 1, 5}
			maxNew := m.MaxTokens() + 4 // past the context: the window slides
			got, err := m.Generate(prompt, maxNew, &Sampler{}, -1)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != maxNew {
				t.Fatalf("%d tokens, want %d", len(got), maxNew)
			}
			ctx := slices.Clone(prompt)
			V := m.Config.VocabSize
			for i, id := range got {
				window := ctx[max(0, len(ctx)-m.MaxTokens()):]
				logits := forwardLogits(t, m, window)
				last := logits[(len(window)-1)*V:]
				if best := argmax(last); best != int(id) && last[best]-last[id] > 1e-4 {
					t.Fatalf("token %d: generated %d, forward argmax %d", i, id, best)
				}
				ctx = append(ctx, id)
			}
			batched, err := m.GenerateBatch([][]int32{{2}, prompt}, []*Sampler{{}, {}}, BatchOptions{MaxNew: 6, Rows: 2, Stop: -1})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(batched[1], got[:6]) {
				t.Fatalf("batched %v, alone %v", batched[1], got[:6])
			}
		})
	}
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
