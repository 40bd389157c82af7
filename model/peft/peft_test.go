package peft

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/artifact/safetensors"
	"github.com/llmflow/llmflow/model"
)

var testConfig = model.Config{VocabSize: 13, NPositions: 8, NLayer: 2, NHead: 2, NEmbd: 8, LayerNormEps: 1e-5}

// newBase saves a seeded base checkpoint to a temporary directory and
// returns it with its Base.
func newBase(t testing.TB, seed uint64) (*model.Model, Base) {
	t.Helper()
	m, err := model.New(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(seed)
	dir := t.TempDir()
	if err := model.SaveCheckpoint(dir, m, ""); err != nil {
		t.Fatal(err)
	}
	b, err := BaseOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	b.NameOrPath = "base"
	return m, b
}

// trained returns the base with an adapter of kind attached and given
// non-zero values, as after training.
func trained(t testing.TB, kind string, seed uint64) (*model.Model, Base) {
	t.Helper()
	m, base := newBase(t, seed)
	var err error
	switch kind {
	case "lora":
		err = m.AttachLoRA(model.LoRA{R: 2, Alpha: 4, Dropout: 0.05, TargetModules: []string{"mlp.c_fc", "attn.c_attn"}}, 1)
	case "adapter":
		err = m.AttachAdapters(model.Adapters{Bottleneck: 3}, 1)
	case "prefix":
		err = m.AttachPrefix(model.Prefix{NumVirtualTokens: 3}, 1)
	case "prefix+projection":
		err = m.AttachPrefix(model.Prefix{NumVirtualTokens: 3, Projection: 6}, 1)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := model.NewRNG(5)
	for _, ts := range m.Tensors {
		if ts.Extra {
			for i := ts.Off; i < ts.Off+ts.Size; i++ {
				m.Params[i] = float32(r.Normal() * 0.1)
			}
		}
	}
	return m, base
}

func logits(t testing.TB, m *model.Model) []float32 {
	t.Helper()
	// Five tokens leave the base's eight positions room for a prefix of three.
	b := model.Batch{B: 1, T: 5, Inputs: []int32{1, 2, 3, 4, 5}}
	if _, _, err := m.ForwardBatch(b); err != nil {
		t.Fatal(err)
	}
	var out []float32
	for p := range b.T {
		out = append(out, m.Logits(0, p)...)
	}
	return out
}

// TestRoundTrip saves each kind of adapter, loads it onto a fresh copy of
// its base and requires the same logits (a projected prefix loads as its
// final prefixes).
func TestRoundTrip(t *testing.T) {
	for _, kind := range []string{"lora", "adapter", "prefix", "prefix+projection"} {
		t.Run(kind, func(t *testing.T) {
			m, base := trained(t, kind, 3)
			dir := t.TempDir()
			if err := Save(dir, m, base); err != nil {
				t.Fatal(err)
			}
			a, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			fresh, _ := newBase(t, 3)
			if err := a.Apply(fresh, base); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(kind, "prefix") && !reflect.DeepEqual(fresh.Params, m.Params) {
				t.Fatal("parameters differ after the round trip")
			}
			if !reflect.DeepEqual(logits(t, fresh), logits(t, m)) {
				t.Fatal("logits differ after the round trip")
			}
		})
	}
}

// TestLoRALayout checks the files against PEFT's layout for GPT-2.
func TestLoRALayout(t *testing.T) {
	m, base := trained(t, "lora", 3)
	dir := t.TempDir()
	if err := Save(dir, m, base); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(filepath.Join(dir, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	C := testConfig.NEmbd
	want := map[string][]int64{}
	for l := range testConfig.NLayer {
		p := "base_model.model.transformer.h." + string(rune('0'+l))
		want[p+".attn.c_attn.lora_A.weight"] = []int64{2, int64(C)}
		want[p+".attn.c_attn.lora_B.weight"] = []int64{int64(3 * C), 2}
		want[p+".mlp.c_fc.lora_A.weight"] = []int64{2, int64(C)}
		want[p+".mlp.c_fc.lora_B.weight"] = []int64{int64(4 * C), 2}
	}
	got := map[string][]int64{}
	for _, info := range f.Tensors {
		got[info.Name] = info.Shape
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tensors %v, want %v", got, want)
	}
	if f.Metadata["format"] != "pt" {
		t.Errorf("metadata %v, want format pt", f.Metadata)
	}
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{
		"peft_type": "LORA", "r": 2.0, "lora_alpha": 4.0, "lora_dropout": 0.05, "fan_in_fan_out": true,
		"bias": "none", "task_type": "CAUSAL_LM", "use_rslora": false, "base_model_name_or_path": "base",
		"target_modules": []any{"attn.c_attn", "mlp.c_fc"},
		"llmflow":        map[string]any{"base_model_digest": base.Digest},
	} {
		if !reflect.DeepEqual(cfg[k], v) {
			t.Errorf("%s = %v, want %v", k, cfg[k], v)
		}
	}
}

func TestBaseMismatch(t *testing.T) {
	m, base := trained(t, "lora", 3)
	dir := t.TempDir()
	if err := Save(dir, m, base); err != nil {
		t.Fatal(err)
	}
	a, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	other, otherBase := newBase(t, 4)
	err = a.Apply(other, otherBase)
	if err == nil || !strings.Contains(err.Error(), "trained on base model "+base.Digest) {
		t.Fatalf("Apply on another base: %v", err)
	}
	if _, ok := other.AttachedLoRA(); ok {
		t.Error("a refused adapter was attached")
	}
}

// TestLoadInvalid edits a saved LoRA adapter and expects Load or Apply to
// refuse it with a message naming the problem.
func TestLoadInvalid(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		value     any
		want      string
	}{
		{"type", "peft_type", "IA3", `peft_type "IA3" is not supported`},
		{"task", "task_type", "SEQ_CLS", `task_type "SEQ_CLS"`},
		{"rank", "r", 0, "r must be positive"},
		{"module", "target_modules", []string{"attn.q_proj"}, `unknown target module "attn.q_proj"`},
		{"fan_in_fan_out", "fan_in_fan_out", false, "fan_in_fan_out is false"},
		{"bias", "bias", "all", `bias "all"`},
		{"digest", "llmflow", map[string]string{"base_model_digest": "abc"}, "llmflow.base_model_digest"},
		{"dropout", "lora_dropout", 1.5, "dropout must be in [0, 1)"},
		{"shape", "r", 3, "has shape [2 8], the model needs [3 8]"},
		{"missing", "target_modules", []string{"attn.c_attn", "mlp.c_fc", "mlp.c_proj"}, "is missing tensor"},
		{"unexpected", "target_modules", []string{"mlp.c_fc"}, "unexpected tensor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, base := trained(t, "lora", 3)
			dir := t.TempDir()
			if err := Save(dir, m, base); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, ConfigFile)
			b, _ := os.ReadFile(path)
			var cfg map[string]any
			json.Unmarshal(b, &cfg)
			cfg[tc.key] = tc.value
			b, _ = json.Marshal(cfg)
			os.WriteFile(path, b, 0o644)
			a, err := Load(dir)
			if err == nil {
				fresh, _ := newBase(t, 3)
				err = a.Apply(fresh, base)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestPrefixLayout checks the files against PEFT's prefix tuning layout.
func TestPrefixLayout(t *testing.T) {
	m, base := trained(t, "prefix+projection", 3)
	dir := t.TempDir()
	if err := Save(dir, m, base); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(filepath.Join(dir, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	C, L := testConfig.NEmbd, testConfig.NLayer
	if len(f.Tensors) != 1 || f.Tensors[0].Name != "prompt_embeddings" || !reflect.DeepEqual(f.Tensors[0].Shape, []int64{3, int64(L * 2 * C)}) {
		t.Errorf("tensors %+v, want prompt_embeddings [3, %d]", f.Tensors, L*2*C)
	}
	v, _, _ := f.Float32("prompt_embeddings")
	if !reflect.DeepEqual(v, m.PrefixEmbeddings()) {
		t.Error("prompt_embeddings are not the projected prefixes")
	}
	b, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"peft_type": "PREFIX_TUNING", "num_virtual_tokens": 3.0, "num_layers": float64(L), "token_dim": float64(C),
		"num_attention_heads": float64(testConfig.NHead), "prefix_projection": true, "encoder_hidden_size": 6.0,
		"task_type": "CAUSAL_LM", "base_model_name_or_path": "base",
	} {
		if !reflect.DeepEqual(cfg[k], want) {
			t.Errorf("%s = %v, want %v", k, cfg[k], want)
		}
	}
}

// TestPrefixShapeMismatch refuses a prefix written for another model shape.
func TestPrefixShapeMismatch(t *testing.T) {
	m, base := trained(t, "prefix", 3)
	dir := t.TempDir()
	if err := Save(dir, m, base); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ConfigFile)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), `"num_layers": 2`, `"num_layers": 3`, 1)), 0o644)
	a, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := newBase(t, 3)
	if err := a.Apply(fresh, base); err == nil || !strings.Contains(err.Error(), "describes 3 layers") {
		t.Fatalf("got %v, want a layer count mismatch", err)
	}
}
