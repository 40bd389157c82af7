package pipeline

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/model/peft"
)

// trainedAdapter attaches an adapter of kind ("lora", "adapter", "prefix")
// to the checkpoint in baseDir, gives it non-zero values as training would,
// saves it and returns its directory and the model with it attached.
func trainedAdapter(t *testing.T, baseDir, kind string) (string, *model.Model) {
	t.Helper()
	m, err := model.LoadCheckpoint(baseDir)
	if err != nil {
		t.Fatal(err)
	}
	switch kind {
	case "lora":
		err = m.AttachLoRA(model.LoRA{R: 2, Alpha: 4, TargetModules: model.LoRAModules[:]}, 1)
	case "adapter":
		err = m.AttachAdapters(model.Adapters{Bottleneck: 3}, 1)
	case "prefix":
		err = m.AttachPrefix(model.Prefix{NumVirtualTokens: 2}, 1)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := model.NewRNG(5)
	for _, ts := range m.Tensors {
		if ts.Extra {
			for i := ts.Off; i < ts.Off+ts.Size; i++ {
				m.Params[i] = float32(r.Normal() * 0.2)
			}
		}
	}
	base, err := peft.BaseOf(baseDir)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := peft.Save(dir, m, base); err != nil {
		t.Fatal(err)
	}
	return dir, m
}

func mergeLogits(t *testing.T, m *model.Model) []float32 {
	t.Helper()
	b := model.Batch{B: 1, T: 8, Inputs: []int32{1, 2, 3, 4, 5, 6, 7, 8}}
	if _, _, err := m.ForwardBatch(b); err != nil {
		t.Fatal(err)
	}
	var out []float32
	for p := range b.T {
		out = append(out, m.Logits(0, p)...)
	}
	return out
}

// TestMergeEquivalence: the merged checkpoint computes the base with the
// LoRA adapter attached, to 1e-5, and carries the base's tokenizer.
func TestMergeEquivalence(t *testing.T) {
	baseDir := tinyCheckpoint(t, 0)
	adir, withLoRA := trainedAdapter(t, baseDir, "lora")
	dst := t.TempDir()
	if _, err := mergeAdapter(dst, baseDir, adir); err != nil {
		t.Fatal(err)
	}
	if _, err := checkCheckpoint(dst); err != nil {
		t.Fatalf("the merged checkpoint is not valid: %v", err)
	}
	merged, err := model.LoadCheckpoint(dst)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := model.LoadCheckpoint(baseDir)
	want, got, orig := mergeLogits(t, withLoRA), mergeLogits(t, merged), mergeLogits(t, base)
	var maxDiff, moved float64
	for i := range want {
		maxDiff = max(maxDiff, math.Abs(float64(got[i]-want[i])))
		moved = max(moved, math.Abs(float64(orig[i]-want[i])))
	}
	if maxDiff > 1e-5 || moved < 1e-3 {
		t.Errorf("merged logits differ by %g from base + adapter (which differ by %g from the base)", maxDiff, moved)
	}
	a, _ := os.ReadFile(filepath.Join(baseDir, model.TokenizerFile))
	b, _ := os.ReadFile(filepath.Join(dst, model.TokenizerFile))
	if len(a) == 0 || string(a) != string(b) {
		t.Error("the base's tokenizer.json was not copied")
	}
}

// TestMergeRefused: prefixes and bottleneck adapters do not fold into
// weights, and an adapter of another base is refused naming both digests.
func TestMergeRefused(t *testing.T) {
	baseDir := tinyCheckpoint(t, 0)
	other := tinyCheckpoint(t, 300)
	otherBase, _ := peft.BaseOf(other)
	lora, _ := trainedAdapter(t, other, "lora")
	ad, _ := trainedAdapter(t, baseDir, "adapter")
	pre, _ := trainedAdapter(t, baseDir, "prefix")
	base, _ := peft.BaseOf(baseDir)
	for _, tc := range []struct {
		name, adapter string
		want          []string
	}{
		{"bottleneck", ad, []string{"BOTTLENECK_ADAPTER adapter", "only LoRA"}},
		{"prefix", pre, []string{"PREFIX_TUNING adapter", "only LoRA"}},
		{"other base", lora, []string{otherBase.Digest, base.Digest}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mergeAdapter(t.TempDir(), baseDir, tc.adapter)
			if err == nil {
				t.Fatal("merged")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
