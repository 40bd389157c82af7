package peft

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/model"
)

// File names inside an adapter directory.
const (
	WeightsFile = "adapter_model.safetensors"
	ConfigFile  = "adapter_config.json"
)

// peft_type values.
const (
	TypeLoRA       = "LORA"
	TypeBottleneck = "BOTTLENECK_ADAPTER"
	TypePrefix     = "PREFIX_TUNING"
)

// prefixKey is PEFT's key for the prefix matrix.
const prefixKey = "prompt_embeddings"

// keyPrefix turns a model tensor name into PEFT's key for GPT-2.
const keyPrefix = "base_model.model.transformer."

// maxConfigBytes bounds the adapter_config.json a reader accepts.
const maxConfigBytes = 1 << 20

// Base identifies the checkpoint an adapter trains on.
type Base struct {
	NameOrPath string // recorded as base_model_name_or_path
	Digest     string // "sha256:…" of the base's model.safetensors
}

// BaseOf returns the Base of the checkpoint directory dir.
func BaseOf(dir string) (Base, error) {
	d, err := artifact.FileDigest(filepath.Join(dir, model.WeightsFile))
	if err != nil {
		return Base{}, err
	}
	return Base{NameOrPath: dir, Digest: d}, nil
}

// llmflowInfo is the "llmflow" object of adapter_config.json.
type llmflowInfo struct {
	BaseModelDigest string `json:"base_model_digest"`
}

// loraConfig is adapter_config.json for LoRA, with PEFT's field names.
type loraConfig struct {
	PEFTType          string         `json:"peft_type"`
	TaskType          string         `json:"task_type"`
	BaseModel         string         `json:"base_model_name_or_path"`
	Revision          *string        `json:"revision"`
	InferenceMode     bool           `json:"inference_mode"`
	R                 int            `json:"r"`
	LoRAAlpha         float64        `json:"lora_alpha"`
	LoRADropout       float64        `json:"lora_dropout"`
	TargetModules     []string       `json:"target_modules"`
	FanInFanOut       bool           `json:"fan_in_fan_out"`
	Bias              string         `json:"bias"`
	UseRSLoRA         bool           `json:"use_rslora"`
	UseDoRA           bool           `json:"use_dora"`
	InitLoRAWeights   bool           `json:"init_lora_weights"`
	ModulesToSave     []string       `json:"modules_to_save"`
	LayersToTransform []int          `json:"layers_to_transform"`
	LayersPattern     *string        `json:"layers_pattern"`
	RankPattern       map[string]int `json:"rank_pattern"`
	AlphaPattern      map[string]int `json:"alpha_pattern"`
	LLMFlow           llmflowInfo    `json:"llmflow"`
}

// bottleneckConfig is adapter_config.json for bottleneck adapters.
type bottleneckConfig struct {
	PEFTType       string      `json:"peft_type"`
	TaskType       string      `json:"task_type"`
	BaseModel      string      `json:"base_model_name_or_path"`
	InferenceMode  bool        `json:"inference_mode"`
	BottleneckSize int         `json:"bottleneck_size"`
	NumLayers      int         `json:"num_layers"`
	TokenDim       int         `json:"token_dim"`
	NonLinearity   string      `json:"non_linearity"`
	LLMFlow        llmflowInfo `json:"llmflow"`
}

// prefixConfig is adapter_config.json for prefix tuning.
type prefixConfig struct {
	PEFTType          string      `json:"peft_type"`
	TaskType          string      `json:"task_type"`
	BaseModel         string      `json:"base_model_name_or_path"`
	Revision          *string     `json:"revision"`
	InferenceMode     bool        `json:"inference_mode"`
	NumVirtualTokens  int         `json:"num_virtual_tokens"`
	TokenDim          int         `json:"token_dim"`
	NumSubmodules     int         `json:"num_transformer_submodules"`
	NumAttentionHeads int         `json:"num_attention_heads"`
	NumLayers         int         `json:"num_layers"`
	EncoderHiddenSize int         `json:"encoder_hidden_size"`
	PrefixProjection  bool        `json:"prefix_projection"`
	LLMFlow           llmflowInfo `json:"llmflow"`
}

// header is the part of adapter_config.json every method shares, read
// first to pick the method.
type header struct {
	PEFTType  string      `json:"peft_type"`
	TaskType  string      `json:"task_type"`
	BaseModel string      `json:"base_model_name_or_path"`
	LLMFlow   llmflowInfo `json:"llmflow"`
}

func writeConfig(dir string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return artifact.WriteFileAtomic(filepath.Join(dir, ConfigFile), append(b, '\n'))
}

// readConfig reads adapter_config.json from dir, bounded in size.
func readConfig(dir string) ([]byte, error) {
	path := filepath.Join(dir, ConfigFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxConfigBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxConfigBytes)
	}
	return b, nil
}
