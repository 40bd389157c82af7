package peft

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/llmflow/llmflow/model"
)

// FuzzDecode feeds arbitrary adapter_config.json and
// adapter_model.safetensors contents to the reader and, when they decode,
// applies them to a small model: errors are fine, panics are not.
func FuzzDecode(f *testing.F) {
	for _, kind := range []string{"lora", "adapter", "prefix"} {
		m, base := trained(f, kind, 3)
		dir := f.TempDir()
		if err := Save(dir, m, base); err != nil {
			f.Fatal(err)
		}
		cfg, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
		w, _ := os.ReadFile(filepath.Join(dir, WeightsFile))
		f.Add(cfg, w)
	}
	base, _ := newBase(f, 3)
	f.Fuzz(func(t *testing.T, cfg, weights []byte) {
		a, err := decode(ConfigFile, cfg, WeightsFile, weights)
		if err != nil {
			return
		}
		m, err := model.New(testConfig)
		if err != nil {
			t.Fatal(err)
		}
		copy(m.Params, base.Params)
		a.Apply(m, a.Base)
	})
}
