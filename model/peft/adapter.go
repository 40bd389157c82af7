package peft

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/artifact/safetensors"
	"github.com/llmflow/llmflow/model"
)

// Adapter is an adapter read from disk, ready to apply to its base model.
type Adapter struct {
	Type       string         // TypeLoRA, TypeBottleneck or TypePrefix
	LoRA       model.LoRA     // for TypeLoRA
	Bottleneck model.Adapters // for TypeBottleneck
	// For TypePrefix: the prefixes load as trained, without projection.
	Prefix                  model.Prefix
	layers, tokenDim, heads int
	Base                    Base
	// Tensors by model tensor name (without PEFT's key prefix).
	Tensors map[string][]float32
	shapes  map[string][]int64
}

// Save writes the adapter attached to m (LoRA, bottleneck adapters or a
// prefix: one kind) to dir, created if needed, recording base. A prefix is
// saved as the final prefixes, through its projection if it has one.
func Save(dir string, m *model.Model, base Base) error {
	if _, err := artifact.ParseDigest(base.Digest); err != nil {
		return fmt.Errorf("peft: base model: %v", err)
	}
	lora, hasLoRA := m.AttachedLoRA()
	ad, hasAd := m.AttachedAdapters()
	pre, hasPre := m.AttachedPrefix()
	if n := btoi(hasLoRA) + btoi(hasAd) + btoi(hasPre); n != 1 {
		return fmt.Errorf("peft: the model has %d kinds of adapter attached; Save writes exactly one", n)
	}
	c, info := m.Config, llmflowInfo{base.Digest}
	var cfg any
	var ts []safetensors.Tensor
	switch {
	case hasLoRA:
		cfg = loraConfig{PEFTType: TypeLoRA, TaskType: "CAUSAL_LM", BaseModel: base.NameOrPath, InferenceMode: true,
			R: lora.R, LoRAAlpha: lora.Alpha, LoRADropout: lora.Dropout, TargetModules: sortedModules(lora.TargetModules),
			FanInFanOut: true, Bias: "none", UseRSLoRA: lora.UseRSLoRA, InitLoRAWeights: true,
			RankPattern: map[string]int{}, AlphaPattern: map[string]int{}, LLMFlow: info}
	case hasAd:
		cfg = bottleneckConfig{PEFTType: TypeBottleneck, TaskType: "CAUSAL_LM", BaseModel: base.NameOrPath, InferenceMode: true,
			BottleneckSize: ad.Bottleneck, NumLayers: c.NLayer, TokenDim: c.NEmbd, NonLinearity: "gelu_new", LLMFlow: info}
	case hasPre:
		hidden := pre.Projection
		if hidden == 0 {
			hidden = c.NEmbd
		}
		cfg = prefixConfig{PEFTType: TypePrefix, TaskType: "CAUSAL_LM", BaseModel: base.NameOrPath, InferenceMode: true,
			NumVirtualTokens: pre.NumVirtualTokens, TokenDim: c.NEmbd, NumSubmodules: 1, NumAttentionHeads: c.NHead,
			NumLayers: c.NLayer, EncoderHiddenSize: hidden, PrefixProjection: pre.Projection > 0, LLMFlow: info}
		ts = []safetensors.Tensor{safetensors.Float32Tensor(prefixKey,
			[]int64{int64(pre.NumVirtualTokens), int64(c.NLayer * 2 * c.NEmbd)}, m.PrefixEmbeddings())}
	}
	for _, t := range m.Tensors {
		if !t.Extra || hasPre {
			continue
		}
		shape := make([]int64, len(t.Shape))
		for i, d := range t.Shape {
			shape[i] = int64(d)
		}
		ts = append(ts, safetensors.Float32Tensor(keyPrefix+t.Name, shape, m.Params[t.Off:t.Off+t.Size]))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := safetensors.WriteFile(filepath.Join(dir, WeightsFile), ts, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	return writeConfig(dir, cfg)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sortedModules lists modules in LoRAModules order, as a stable config.
func sortedModules(ms []string) []string {
	var out []string
	for _, n := range model.LoRAModules {
		if slices.Contains(ms, n) {
			out = append(out, n)
		}
	}
	return out
}

// Load reads the adapter in dir. It checks the files against each other;
// Apply checks them against a model.
func Load(dir string) (*Adapter, error) {
	raw, err := readConfig(dir)
	if err != nil {
		return nil, err
	}
	wpath := filepath.Join(dir, WeightsFile)
	weights, err := os.ReadFile(wpath)
	if err != nil {
		return nil, err
	}
	return decode(filepath.Join(dir, ConfigFile), raw, wpath, weights)
}

// decode checks and decodes the contents of adapter_config.json (raw, read
// from cpath) and adapter_model.safetensors (weights, from wpath).
func decode(cpath string, raw []byte, wpath string, weights []byte) (*Adapter, error) {
	var h header
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("%s: %v", cpath, err)
	}
	a := &Adapter{Type: h.PEFTType, Base: Base{NameOrPath: h.BaseModel, Digest: h.LLMFlow.BaseModelDigest}}
	if _, err := artifact.ParseDigest(a.Base.Digest); err != nil {
		return nil, fmt.Errorf("%s: llmflow.base_model_digest: %v", cpath, err)
	}
	if h.TaskType != "CAUSAL_LM" {
		return nil, fmt.Errorf("%s: task_type %q: only CAUSAL_LM adapters apply to GPT-2", cpath, h.TaskType)
	}
	switch h.PEFTType {
	case TypeLoRA:
		var c loraConfig
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%s: %v", cpath, err)
		}
		a.LoRA = model.LoRA{R: c.R, Alpha: c.LoRAAlpha, Dropout: c.LoRADropout, TargetModules: c.TargetModules, UseRSLoRA: c.UseRSLoRA}
		switch {
		case !c.FanInFanOut:
			return nil, fmt.Errorf("%s: fan_in_fan_out is false; GPT-2's Conv1D layers need true", cpath)
		case c.Bias != "none":
			return nil, fmt.Errorf("%s: bias %q: only \"none\" is supported", cpath, c.Bias)
		case c.UseDoRA || len(c.ModulesToSave) > 0 || len(c.LayersToTransform) > 0 || len(c.RankPattern) > 0 || len(c.AlphaPattern) > 0:
			return nil, fmt.Errorf("%s: use_dora, modules_to_save, layers_to_transform, rank_pattern and alpha_pattern are not supported", cpath)
		}
		if err := a.LoRA.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %v", cpath, err)
		}
	case TypeBottleneck:
		var c bottleneckConfig
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%s: %v", cpath, err)
		}
		if c.BottleneckSize <= 0 || c.NonLinearity != "gelu_new" {
			return nil, fmt.Errorf("%s: bottleneck_size must be positive and non_linearity \"gelu_new\", got %d and %q", cpath, c.BottleneckSize, c.NonLinearity)
		}
		a.Bottleneck = model.Adapters{Bottleneck: c.BottleneckSize}
		a.layers, a.tokenDim = c.NumLayers, c.TokenDim
	case TypePrefix:
		var c prefixConfig
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("%s: %v", cpath, err)
		}
		if c.NumVirtualTokens <= 0 || c.NumSubmodules != 1 {
			return nil, fmt.Errorf("%s: num_virtual_tokens must be positive and num_transformer_submodules 1, got %d and %d", cpath, c.NumVirtualTokens, c.NumSubmodules)
		}
		a.Prefix = model.Prefix{NumVirtualTokens: c.NumVirtualTokens}
		a.layers, a.tokenDim, a.heads = c.NumLayers, c.TokenDim, c.NumAttentionHeads
	default:
		return nil, fmt.Errorf("%s: peft_type %q is not supported; want %q, %q or %q", cpath, h.PEFTType, TypeLoRA, TypePrefix, TypeBottleneck)
	}
	return a, a.decodeTensors(wpath, weights)
}

func (a *Adapter) decodeTensors(path string, b []byte) error {
	f, err := safetensors.Parse(b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	a.Tensors, a.shapes = map[string][]float32{}, map[string][]int64{}
	for _, info := range f.Tensors {
		name, ok := strings.CutPrefix(info.Name, keyPrefix)
		if info.Name == prefixKey {
			name, ok = model.PrefixEmbeddingsName, true
		}
		if !ok {
			return fmt.Errorf("%s: tensor %q lacks the %q prefix", path, info.Name, keyPrefix)
		}
		v, shape, err := f.Float32(info.Name)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		a.Tensors[name], a.shapes[name] = v, shape
	}
	return nil
}

// Apply attaches the adapter to m, which must be the base it was trained
// on (base.Digest equal to the recorded one), and loads its values. The
// base stays trainable; call m.FreezeBase to tune the adapter further. After
// an error other than the base mismatch m holds a partly loaded adapter and
// should be discarded.
func (a *Adapter) Apply(m *model.Model, base Base) error {
	if base.Digest != a.Base.Digest {
		return fmt.Errorf("peft: the adapter was trained on base model %s (%s), not on %s (%s); apply it to the model it was trained on",
			a.Base.Digest, a.Base.NameOrPath, base.Digest, base.NameOrPath)
	}
	c := m.Config
	if a.Type != TypeLoRA && (a.layers != c.NLayer || a.tokenDim != c.NEmbd || (a.Type == TypePrefix && a.heads != c.NHead)) {
		return fmt.Errorf("peft: %s describes %d layers of width %d (%d heads); the model has %d of %d (%d heads)",
			ConfigFile, a.layers, a.tokenDim, a.heads, c.NLayer, c.NEmbd, c.NHead)
	}
	n := len(m.Tensors)
	var err error
	switch a.Type {
	case TypeLoRA:
		err = m.AttachLoRA(a.LoRA, 0)
	case TypeBottleneck:
		err = m.AttachAdapters(a.Bottleneck, 0)
	case TypePrefix:
		err = m.AttachPrefix(a.Prefix, 0)
	}
	if err != nil {
		return err
	}
	seen := 0
	for _, t := range m.Tensors[n:] {
		v, ok := a.Tensors[t.Name]
		if !ok {
			return fmt.Errorf("peft: %s is missing tensor %q", WeightsFile, fileKey(t.Name))
		}
		if !sameShape(a.shapes[t.Name], t.Shape) {
			return fmt.Errorf("peft: %s: tensor %q has shape %v, the model needs %v", WeightsFile, fileKey(t.Name), a.shapes[t.Name], t.Shape)
		}
		copy(m.Params[t.Off:t.Off+t.Size], v)
		m.ParamsChanged()
		seen++
	}
	if seen != len(a.Tensors) {
		for name := range a.Tensors {
			if !slices.ContainsFunc(m.Tensors[n:], func(t model.Tensor) bool { return t.Name == name }) {
				return fmt.Errorf("peft: %s: unexpected tensor %q for this model", WeightsFile, fileKey(name))
			}
		}
	}
	return nil
}

// fileKey is the key of model tensor name in adapter_model.safetensors.
func fileKey(name string) string {
	if name == model.PrefixEmbeddingsName {
		return prefixKey
	}
	return keyPrefix + name
}

func sameShape(a []int64, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != int64(b[i]) {
			return false
		}
	}
	return true
}
