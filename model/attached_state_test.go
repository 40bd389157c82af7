package model

import (
	"strings"
	"testing"
)

// TestAttachedStateRoundTrip restores attached tensors and the dropout RNG
// into a model with the same attachments, and refuses one with others.
func TestAttachedStateRoundTrip(t *testing.T) {
	cfg := Config{VocabSize: 11, NPositions: 8, NLayer: 2, NHead: 2, NEmbd: 8, LayerNormEps: 1e-5}
	lora := LoRA{R: 2, Alpha: 4, Dropout: 0.1, TargetModules: []string{"attn.c_attn"}}
	newModel := func(attach func(*Model) error) *Model {
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.Init(1)
		if err := attach(m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	src := newModel(func(m *Model) error { return m.AttachLoRA(lora, 3) })
	r := NewRNG(9)
	for _, ts := range src.Tensors {
		if ts.Extra {
			for i := ts.Off; i < ts.Off+ts.Size; i++ {
				src.Params[i] = float32(r.Normal())
			}
		}
	}
	src.DropoutRNG.State = 12345
	dir := t.TempDir()
	if err := SaveAttachedState(dir, src); err != nil {
		t.Fatal(err)
	}
	dst := newModel(func(m *Model) error { return m.AttachLoRA(lora, 4) })
	if err := LoadAttachedState(dir, dst); err != nil {
		t.Fatal(err)
	}
	for i := range src.Params {
		if src.Params[i] != dst.Params[i] {
			t.Fatalf("parameter %d: %g, want %g", i, dst.Params[i], src.Params[i])
		}
	}
	if dst.DropoutRNG.State != 12345 {
		t.Errorf("dropout RNG %d", dst.DropoutRNG.State)
	}
	other := newModel(func(m *Model) error { return m.AttachAdapters(Adapters{Bottleneck: 2}, 1) })
	if err := LoadAttachedState(dir, other); err == nil || !strings.Contains(err.Error(), AttachedStateFile) {
		t.Errorf("state of LoRA loaded into adapters: %v", err)
	}
}
