package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/model/kernel"
)

func TestSaveCheckpointBF16(t *testing.T) {
	m := smallModel(t, 21)
	dir := t.TempDir()
	if err := SaveCheckpointAs(dir, m, "", BF16); err != nil {
		t.Fatal(err)
	}
	if err := SaveMasterWeights(dir, m); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cfg), `"torch_dtype": "bfloat16"`) {
		t.Errorf("config.json does not say bfloat16:\n%s", cfg)
	}
	st, err := os.Stat(filepath.Join(dir, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	if max32 := int64(4 * len(m.Params)); st.Size() > max32/2+8192 {
		t.Errorf("%s is %d bytes, more than half of fp32's %d", WeightsFile, st.Size(), max32)
	}
	got, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), m.Params...)
	kernel.RoundBF16(want, want)
	for i := range want {
		if got.Params[i] != want[i] {
			t.Fatalf("parameter %d loads as %g, want bf16 %g of %g", i, got.Params[i], want[i], m.Params[i])
		}
	}
	if err := LoadMasterWeights(dir, got); err != nil {
		t.Fatal(err)
	}
	for i := range m.Params {
		if got.Params[i] != m.Params[i] {
			t.Fatalf("master parameter %d loads as %g, want %g", i, got.Params[i], m.Params[i])
		}
	}
}
