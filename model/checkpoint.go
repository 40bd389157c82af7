package model

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/artifact/safetensors"
)

// Checkpoint file names (the Hugging Face GPT-2 layout plus our training state).
const (
	WeightsFile       = "model.safetensors"
	ConfigFile        = "config.json"
	TokenizerFile     = "tokenizer.json"
	StateFile         = "training_state.safetensors"
	StateMetaFile     = "training_state.json"
	hfModelType       = "gpt2"
	hfArchitecture    = "GPT2LMHeadModel"
	hfActivation      = "gelu_new"
	defaultInitRange  = 0.02
	defaultLayerNormE = 1e-5
)

// hfConfig is config.json as transformers' GPT2Config reads it.
type hfConfig struct {
	ActivationFunction string   `json:"activation_function"`
	Architectures      []string `json:"architectures"`
	AttnPdrop          float64  `json:"attn_pdrop"`
	BOSTokenID         int      `json:"bos_token_id"`
	EmbdPdrop          float64  `json:"embd_pdrop"`
	EOSTokenID         int      `json:"eos_token_id"`
	InitializerRange   float64  `json:"initializer_range"`
	LayerNormEpsilon   float64  `json:"layer_norm_epsilon"`
	ModelType          string   `json:"model_type"`
	NCtx               int      `json:"n_ctx"`
	NEmbd              int      `json:"n_embd"`
	NHead              int      `json:"n_head"`
	NInner             *int     `json:"n_inner"`
	NLayer             int      `json:"n_layer"`
	NPositions         int      `json:"n_positions"`
	ResidPdrop         float64  `json:"resid_pdrop"`
	ScaleAttnWeights   bool     `json:"scale_attn_weights"`
	TieWordEmbeddings  bool     `json:"tie_word_embeddings"`
	TorchDtype         string   `json:"torch_dtype"`
	UseCache           bool     `json:"use_cache"`
	VocabSize          int      `json:"vocab_size"`
	// A sequence classifier's (reward model's) fields.
	ID2Label   map[string]string `json:"id2label,omitempty"`
	Label2ID   map[string]int    `json:"label2id,omitempty"`
	NumLabels  int               `json:"num_labels,omitempty"`
	PadTokenID *int              `json:"pad_token_id,omitempty"`
}

// SaveCheckpoint writes model.safetensors and config.json for m into dir
// (created if needed) and copies tokenizerJSON (a path; empty skips it) to
// tokenizer.json. Files are written to temporary names and renamed. Only
// the base tensors are written; attached ones (Tensor.Extra) are saved by
// package peft.
func SaveCheckpoint(dir string, m *Model, tokenizerJSON string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := safetensors.WriteFile(filepath.Join(dir, WeightsFile), baseTensors(m, ""), map[string]string{"format": "pt"}); err != nil {
		return err
	}
	if err := writeHFConfig(dir, hfConfigOf(m.Config)); err != nil {
		return err
	}
	if tokenizerJSON != "" {
		return copyFileAtomic(filepath.Join(dir, TokenizerFile), tokenizerJSON)
	}
	return nil
}

// baseTensors returns m's base tensors (not the attached ones) in the
// Hugging Face layout, each name behind prefix.
func baseTensors(m *Model, prefix string) []safetensors.Tensor {
	ts := make([]safetensors.Tensor, 0, len(m.Tensors))
	for _, t := range m.Tensors {
		if t.Extra { // saved by the peft package
			continue
		}
		v := m.Params[t.Off : t.Off+t.Size]
		shape := []int64{int64(t.Shape[0])}
		if len(t.Shape) == 2 {
			shape = []int64{int64(t.Shape[0]), int64(t.Shape[1])}
			if t.Conv1D {
				tr := make([]float32, len(v))
				transposeSerial(tr, v, t.Shape[0], t.Shape[1])
				v = tr
				shape = []int64{int64(t.Shape[1]), int64(t.Shape[0])}
			}
		}
		ts = append(ts, safetensors.Float32Tensor(prefix+t.Name, shape, v))
	}
	return ts
}

// hfConfigOf is config.json of a GPT2LMHeadModel of shape c.
func hfConfigOf(c Config) hfConfig {
	return hfConfig{
		ActivationFunction: hfActivation, Architectures: []string{hfArchitecture},
		BOSTokenID: c.BOSTokenID, EOSTokenID: c.EOSTokenID, InitializerRange: defaultInitRange,
		LayerNormEpsilon: shortest(c.LayerNormEps), ModelType: hfModelType,
		NCtx: c.NPositions, NEmbd: c.NEmbd, NHead: c.NHead, NLayer: c.NLayer, NPositions: c.NPositions,
		ScaleAttnWeights: true, TieWordEmbeddings: true, TorchDtype: "float32", UseCache: true, VocabSize: c.VocabSize,
	}
}

func writeHFConfig(dir string, hc hfConfig) error {
	b, err := json.MarshalIndent(hc, "", "  ")
	if err != nil {
		return err
	}
	return artifact.WriteFileAtomic(filepath.Join(dir, ConfigFile), append(b, '\n'))
}

// ReadConfig reads a Hugging Face GPT-2 config.json.
func ReadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	hc := hfConfig{LayerNormEpsilon: defaultLayerNormE}
	if err := json.Unmarshal(b, &hc); err != nil {
		return Config{}, fmt.Errorf("%s: %v", path, err)
	}
	if hc.ModelType != "" && hc.ModelType != hfModelType {
		return Config{}, fmt.Errorf("%s: model_type %q is not %q", path, hc.ModelType, hfModelType)
	}
	if hc.ActivationFunction != "" && hc.ActivationFunction != hfActivation && hc.ActivationFunction != "gelu_pytorch_tanh" {
		return Config{}, fmt.Errorf("%s: activation_function %q is not supported (want %q)", path, hc.ActivationFunction, hfActivation)
	}
	if hc.NInner != nil && *hc.NInner != 4*hc.NEmbd {
		return Config{}, fmt.Errorf("%s: n_inner %d is not 4*n_embd", path, *hc.NInner)
	}
	c := Config{VocabSize: hc.VocabSize, NPositions: hc.NPositions, NLayer: hc.NLayer, NHead: hc.NHead,
		NEmbd: hc.NEmbd, LayerNormEps: float32(hc.LayerNormEpsilon), BOSTokenID: hc.BOSTokenID, EOSTokenID: hc.EOSTokenID}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %v", path, err)
	}
	return c, nil
}

// LoadCheckpoint reads config.json and model.safetensors from dir. It also
// accepts files saved by transformers (a "transformer." name prefix, a tied
// lm_head.weight and attention mask buffers are ignored) and reward models,
// whose score head it leaves out (LoadReward reads it).
func LoadCheckpoint(dir string) (*Model, error) {
	cfg, err := ReadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, WeightsFile)
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// A hostile config.json could ask for any size: allocate only what the
	// weights file can fill.
	var have int64
	for _, info := range f.Tensors {
		n := int64(1)
		for _, d := range info.Shape {
			n *= d
		}
		have += n
	}
	if need := cfg.NumParams(); int64(need) > have {
		return nil, fmt.Errorf("%s: config.json describes %d parameters but %s holds %d values", dir, need, WeightsFile, have)
	}
	m, err := New(cfg)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, info := range f.Tensors {
		n := strings.TrimPrefix(info.Name, "transformer.")
		if n == "lm_head.weight" || n == scoreWeight || strings.HasSuffix(n, ".attn.bias") || strings.HasSuffix(n, ".attn.masked_bias") {
			continue
		}
		names[n] = info.Name
	}
	for _, t := range m.Tensors {
		src, ok := names[t.Name]
		if !ok {
			return nil, fmt.Errorf("%s: tensor %q is missing", path, t.Name)
		}
		delete(names, t.Name)
		v, shape, err := f.Float32(src)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		want := t.Shape
		if t.Conv1D {
			want = []int{t.Shape[1], t.Shape[0]}
		}
		if !sameShape(shape, want) {
			return nil, fmt.Errorf("%s: tensor %q has shape %v, config.json implies %v", path, src, shape, want)
		}
		dst := m.Params[t.Off : t.Off+t.Size]
		if t.Conv1D {
			transposeSerial(dst, v, want[0], want[1])
		} else {
			copy(dst, v)
		}
	}
	for n := range names {
		return nil, fmt.Errorf("%s: unexpected tensor %q", path, n)
	}
	return m, nil
}

// shortest widens f to float64 through its shortest decimal form, so 1e-5
// is written as 1e-05 rather than 9.999999747378752e-06.
func shortest(f float32) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return v
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

func transposeSerial(dst, src []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			dst[c*rows+r] = src[r*cols+c]
		}
	}
}

// SaveTrainingState writes the optimizer moments to training_state.safetensors
// and meta (with the optimizer's step and hyper-parameters merged in under
// "adamw") to training_state.json.
func SaveTrainingState(dir string, opt *AdamW, meta any) error {
	ts := []safetensors.Tensor{
		safetensors.Float32Tensor("adamw.m", []int64{int64(len(opt.M))}, opt.M),
		safetensors.Float32Tensor("adamw.v", []int64{int64(len(opt.V))}, opt.V),
	}
	if err := safetensors.WriteFile(filepath.Join(dir, StateFile), ts, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	mb, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	doc := map[string]json.RawMessage{}
	if err := json.Unmarshal(mb, &doc); err != nil {
		return fmt.Errorf("training state meta must be a JSON object: %v", err)
	}
	ob, _ := json.Marshal(struct {
		Step                     int
		Beta1, Beta2, Eps, Decay float32
		DecayAll                 bool
	}{opt.Step, opt.Beta1, opt.Beta2, opt.Eps, opt.WeightDecay, opt.DecayAll})
	doc["adamw"] = ob
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return artifact.WriteFileAtomic(filepath.Join(dir, StateMetaFile), append(b, '\n'))
}

// LoadTrainingState restores opt (sized for the model) and decodes the
// caller's meta from a directory written by SaveTrainingState.
func LoadTrainingState(dir string, opt *AdamW, meta any) error {
	path := filepath.Join(dir, StateFile)
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return err
	}
	for name, dst := range map[string][]float32{"adamw.m": opt.M, "adamw.v": opt.V} {
		v, _, err := f.Float32(name)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if len(v) != len(dst) {
			return fmt.Errorf("%s: %s holds %d values, the model has %d parameters", path, name, len(v), len(dst))
		}
		copy(dst, v)
	}
	mpath := filepath.Join(dir, StateMetaFile)
	b, err := os.ReadFile(mpath)
	if err != nil {
		return err
	}
	var doc struct {
		AdamW struct {
			Step                     int
			Beta1, Beta2, Eps, Decay float32
			DecayAll                 bool
		} `json:"adamw"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: %v", mpath, err)
	}
	opt.Step, opt.Beta1, opt.Beta2, opt.Eps = doc.AdamW.Step, doc.AdamW.Beta1, doc.AdamW.Beta2, doc.AdamW.Eps
	opt.WeightDecay, opt.DecayAll = doc.AdamW.Decay, doc.AdamW.DecayAll
	if meta != nil {
		if err := json.Unmarshal(b, meta); err != nil {
			return fmt.Errorf("%s: %v", mpath, err)
		}
	}
	return nil
}

func copyFileAtomic(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	b, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	return artifact.WriteFileAtomic(dst, b)
}
