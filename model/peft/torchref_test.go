package peft

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/model"
)

// torchPython returns the Python that has torch, skipping the test without
// it (failing under CI, which installs it).
func torchPython(t *testing.T) string {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s with torch is required in CI (apt-get install python3-torch): %v", python, err)
		}
		t.Skipf("%s cannot import torch (%v); install python3-torch", python, err)
	}
	return python
}

// torchRefBase saves a base whose weights are large enough for logits of
// several units and non-trivial biases and gains, so that a transposition
// slip shows.
func torchRefBase(t *testing.T) (*model.Model, string) {
	t.Helper()
	m, err := model.New(model.Config{VocabSize: 37, NPositions: 16, NLayer: 2, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(11)
	r := model.NewRNG(12)
	for _, ts := range m.Tensors {
		for i := ts.Off; i < ts.Off+ts.Size; i++ {
			switch ts.Kind {
			case "linear", "embedding":
				m.Params[i] = float32(r.Normal() * 0.3)
			default:
				m.Params[i] += float32(r.Normal() * 0.1)
			}
		}
	}
	dir := t.TempDir()
	if err := model.SaveCheckpoint(dir, m, ""); err != nil {
		t.Fatal(err)
	}
	return m, dir
}

// torchLogits runs tools/torchref/peft_check.py on the files alone and
// returns its logits [B·T·V].
func torchLogits(t *testing.T, python, baseDir, adapterDir string, inputs []int32, B, T int) []float64 {
	t.Helper()
	var lines []string
	for b := range B {
		var row []string
		for _, id := range inputs[b*T : (b+1)*T] {
			row = append(row, fmt.Sprint(id))
		}
		lines = append(lines, strings.Join(row, " "))
	}
	tokens := filepath.Join(t.TempDir(), "tokens.txt")
	if err := os.WriteFile(tokens, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, filepath.Join(root, "tools", "torchref", "peft_check.py"), baseDir, adapterDir, tokens)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("peft_check.py: %v", err)
	}
	var ref struct{ Logits []float64 }
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatal(err)
	}
	return ref.Logits
}

// maxLogitDiff runs m on inputs and returns the largest difference from
// ref and the largest |logit|.
func maxLogitDiff(t *testing.T, m *model.Model, inputs []int32, B, T int, ref []float64) (worst, biggest float64) {
	t.Helper()
	if _, _, err := m.Forward(inputs, nil, nil, B, T); err != nil {
		t.Fatal(err)
	}
	V := m.Config.VocabSize
	if len(ref) != B*T*V {
		t.Fatalf("reference has %d logits, want %d", len(ref), B*T*V)
	}
	for b := range B {
		for i := range T {
			for v, got := range m.Logits(b, i) {
				worst = max(worst, math.Abs(float64(got)-ref[(b*T+i)*V+v]))
				biggest = max(biggest, math.Abs(float64(got)))
			}
		}
	}
	return worst, biggest
}

// TestTorchReferenceAdapter writes a base checkpoint and an adapter in
// PEFT's layout, has tools/torchref/peft_check.py apply the adapter from
// the files alone as the PEFT library does for GPT-2, and compares its
// logits with ours; for LoRA also those of the merged checkpoint.
func TestTorchReferenceAdapter(t *testing.T) {
	python := torchPython(t)
	const B, T = 2, 8
	r := model.NewRNG(5)
	inputs := make([]int32, B*T)
	for i := range inputs {
		inputs[i] = int32(r.Intn(37))
	}
	for _, tc := range []struct {
		name   string
		attach func(*model.Model) error
	}{
		{"lora", func(m *model.Model) error {
			return m.AttachLoRA(model.LoRA{R: 4, Alpha: 8, TargetModules: model.LoRAModules[:]}, 1)
		}},
		{"rslora", func(m *model.Model) error {
			return m.AttachLoRA(model.LoRA{R: 4, Alpha: 6, UseRSLoRA: true, TargetModules: []string{"attn.c_attn", "mlp.c_proj"}}, 1)
		}},
		{"prefix", func(m *model.Model) error { return m.AttachPrefix(model.Prefix{NumVirtualTokens: 4}, 1) }},
		{"prefix+projection", func(m *model.Model) error {
			return m.AttachPrefix(model.Prefix{NumVirtualTokens: 3, Projection: 6}, 1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, baseDir := torchRefBase(t)
			if err := tc.attach(m); err != nil {
				t.Fatal(err)
			}
			// Trained-looking values: B of LoRA starts at zero.
			r := model.NewRNG(7)
			for _, ts := range m.Tensors {
				if ts.Extra {
					for i := ts.Off; i < ts.Off+ts.Size; i++ {
						m.Params[i] = float32(r.Normal() * 0.3)
					}
				}
			}
			base, err := BaseOf(baseDir)
			if err != nil {
				t.Fatal(err)
			}
			adapterDir := t.TempDir()
			if err := Save(adapterDir, m, base); err != nil {
				t.Fatal(err)
			}
			ref := torchLogits(t, python, baseDir, adapterDir, inputs, B, T)
			worst, biggest := maxLogitDiff(t, m, inputs, B, T, ref)
			t.Logf("adapter: max |logit difference| = %.3g (largest |logit| %.3g)", worst, biggest)
			if worst > 1e-4 {
				t.Fatalf("logits with the adapter differ from PyTorch by %.3g (> 1e-4)", worst)
			}
			if _, ok := m.AttachedPrefix(); ok {
				return // a prefix does not merge
			}
			fresh, err := model.LoadCheckpoint(baseDir)
			if err != nil {
				t.Fatal(err)
			}
			_, merged, err := Merge(fresh, baseDir, adapterDir)
			if err != nil {
				t.Fatal(err)
			}
			mergedDir := t.TempDir()
			if err := model.SaveCheckpoint(mergedDir, merged, ""); err != nil {
				t.Fatal(err)
			}
			if merged, err = model.LoadCheckpoint(mergedDir); err != nil {
				t.Fatal(err)
			}
			worst, _ = maxLogitDiff(t, merged, inputs, B, T, ref)
			t.Logf("merged: max |logit difference| = %.3g", worst)
			if worst > 1e-4 {
				t.Fatalf("logits of the merged checkpoint differ from PyTorch's base+adapter by %.3g (> 1e-4)", worst)
			}
		})
	}
}
