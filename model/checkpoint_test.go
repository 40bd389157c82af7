package model

import (
	"encoding/json"
	"fmt"
	"github.com/llmflow/llmflow/model/kernel"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func smallModel(t testing.TB, seed uint64) *Model {
	t.Helper()
	m, err := New(Config{VocabSize: 37, NPositions: 16, NLayer: 2, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5, BOSTokenID: 0, EOSTokenID: 0})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(seed)
	// Non-trivial biases and gains so a transposition slip would show.
	r := NewRNG(seed + 1)
	for _, ts := range m.Tensors {
		if ts.Kind == "bias" || ts.Kind == "layernorm" {
			for i := ts.Off; i < ts.Off+ts.Size; i++ {
				m.Params[i] += float32(r.Normal() * 0.1)
			}
		}
	}
	return m
}

func TestCheckpointRoundTrip(t *testing.T) {
	m := smallModel(t, 3)
	dir := t.TempDir()
	if err := SaveCheckpoint(dir, m, ""); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(filepath.Join(dir, WeightsFile))
	m2, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Config != m.Config {
		t.Fatalf("config %+v, want %+v", m2.Config, m.Config)
	}
	for i := range m.Params {
		if m.Params[i] != m2.Params[i] {
			t.Fatalf("param %d differs", i)
		}
	}
	if err := SaveCheckpoint(dir, m2, ""); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(filepath.Join(dir, WeightsFile))
	if string(first) != string(second) {
		t.Fatal("saving a loaded checkpoint changed model.safetensors")
	}
	var cfg map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"model_type": "gpt2", "activation_function": "gelu_new", "n_layer": 2.0, "n_ctx": 16.0, "layer_norm_epsilon": 1e-5} {
		if fmt.Sprint(cfg[k]) != fmt.Sprint(want) {
			t.Errorf("config.json %s = %v, want %v", k, cfg[k], want)
		}
	}
}

// repoRoot walks up from the test directory to the directory holding go.mod.
func repoRoot(t *testing.T) string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// TestTorchReference loads a checkpoint into the PyTorch GPT-2 of
// tools/torchref and compares its logits with ours.
func TestTorchReference(t *testing.T) {
	m := torchTestModel(t)
	worst, biggest := torchLogitDiff(t, m, FP32)
	t.Logf("max |logit difference| = %.3g (largest |logit| %.3g)", worst, biggest)
	if worst > 1e-4 {
		t.Fatalf("logits differ from PyTorch by %.3g (> 1e-4)", worst)
	}
}

// TestTorchReferenceBF16 saves a bf16 model's weights as BF16 and has
// PyTorch run them in fp32. The weights agree exactly (both sides see the
// same bf16 values); what differs is that our multiplies (attention's too)
// round their input activations to bf16, a relative error of at most 2^-9
// per operand.
// Errors of independent roundings mostly cancel in a dot product, but they
// pass through three layers and LayerNorms, so the bound is 2% of the
// largest logit: ten times the 2^-9 of a single rounding, and still forty
// times tighter than the logits' spread.
func TestTorchReferenceBF16(t *testing.T) {
	for _, path := range []string{kernel.PathFP32, kernel.PathAVX512BF16} {
		t.Run(path, func(t *testing.T) {
			withKernelPath(t, path)
			m := torchTestModel(t)
			m.SetPrecision(BF16)
			worst, biggest := torchLogitDiff(t, m, BF16)
			t.Logf("max |logit difference| = %.3g (largest |logit| %.3g)", worst, biggest)
			if worst > 0.02*biggest {
				t.Fatalf("logits differ from PyTorch by %.3g (> 2%% of %.3g)", worst, biggest)
			}
		})
	}
}

func torchTestModel(t *testing.T) *Model {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s with torch is required in CI (apt-get install python3-torch): %v", python, err)
		}
		t.Skipf("%s cannot import torch (%v); install python3-torch", python, err)
	}
	m := smallModel(t, 11)
	// Large weights give logits of several units, a stricter comparison
	// than GPT-2's small initialisation.
	r := NewRNG(12)
	for _, ts := range m.Tensors {
		if ts.Kind == "linear" || ts.Kind == "embedding" {
			for i := ts.Off; i < ts.Off+ts.Size; i++ {
				m.Params[i] = float32(r.Normal() * 0.3)
			}
		}
	}
	return m
}

// torchLogitDiff saves m with weights in dtype, runs tools/torchref on it
// and returns the largest logit difference and the largest logit.
func torchLogitDiff(t *testing.T, m *Model, dtype Precision) (worst, biggest float64) {
	dir := t.TempDir()
	if err := SaveCheckpointAs(dir, m, "", dtype); err != nil {
		t.Fatal(err)
	}
	B, T := 2, 16
	r := NewRNG(5)
	inputs := make([]int32, B*T)
	var lines []string
	for b := 0; b < B; b++ {
		var row []string
		for i := 0; i < T; i++ {
			inputs[b*T+i] = int32(r.Intn(m.Config.VocabSize))
			row = append(row, fmt.Sprint(inputs[b*T+i]))
		}
		lines = append(lines, strings.Join(row, " "))
	}
	tokens := filepath.Join(dir, "tokens.txt")
	if err := os.WriteFile(tokens, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", filepath.Join(repoRoot(t), "tools", "torchref", "check.py"), dir, tokens)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("check.py: %v", err)
	}
	var ref struct {
		Shape  []int
		Logits []float64
	}
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Forward(inputs, nil, nil, B, T); err != nil {
		t.Fatal(err)
	}
	V := m.Config.VocabSize
	if len(ref.Logits) != B*T*V {
		t.Fatalf("reference shape %v, want [%d %d %d]", ref.Shape, B, T, V)
	}
	for b := 0; b < B; b++ {
		for i := 0; i < T; i++ {
			for v, got := range m.Logits(b, i) {
				d := math.Abs(float64(got) - ref.Logits[(b*T+i)*V+v])
				worst = max(worst, d)
				biggest = max(biggest, math.Abs(float64(got)))
			}
		}
	}
	return worst, biggest
}

func TestLoadCheckpointHostile(t *testing.T) {
	m := smallModel(t, 5)
	for name, edit := range map[string]func(map[string]any){
		"huge width":       func(c map[string]any) { c["n_embd"] = 1 << 20; c["n_head"] = 1 },
		"more layers":      func(c map[string]any) { c["n_layer"] = 3 },
		"bad heads":        func(c map[string]any) { c["n_head"] = 5 },
		"other model":      func(c map[string]any) { c["model_type"] = "llama" },
		"other activation": func(c map[string]any) { c["activation_function"] = "relu" },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := SaveCheckpoint(dir, m, ""); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, ConfigFile)
			var c map[string]any
			b, _ := os.ReadFile(p)
			json.Unmarshal(b, &c)
			edit(c)
			b, _ = json.Marshal(c)
			os.WriteFile(p, b, 0o644)
			if _, err := LoadCheckpoint(dir); err == nil {
				t.Fatal("loaded a checkpoint whose config.json does not match its weights")
			}
		})
	}
}

// FuzzLoadConfig feeds arbitrary config.json files beside valid weights:
// loading may fail but must not panic or allocate beyond the weights.
func FuzzLoadConfig(f *testing.F) {
	m, err := New(Config{VocabSize: 7, NPositions: 4, NLayer: 1, NHead: 2, NEmbd: 4, LayerNormEps: 1e-5})
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	if err := SaveCheckpoint(dir, m, ""); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
	f.Add(good)
	f.Add([]byte(`{"n_layer":1,"n_head":2,"n_embd":4,"n_positions":4,"vocab_size":7,"n_inner":null}`))
	f.Add([]byte(`{"n_layer":1e9,"n_head":1,"n_embd":4,"n_positions":4,"vocab_size":7}`))
	f.Fuzz(func(t *testing.T, cfg []byte) {
		d := t.TempDir()
		w, _ := os.ReadFile(filepath.Join(dir, WeightsFile))
		os.WriteFile(filepath.Join(d, WeightsFile), w, 0o644)
		os.WriteFile(filepath.Join(d, ConfigFile), cfg, 0o644)
		LoadCheckpoint(d)
	})
}
