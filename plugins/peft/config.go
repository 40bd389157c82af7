package peft

import (
	"fmt"
	"strings"

	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/sft"
)

// Methods of parameter-efficient tuning.
const (
	MethodLoRA    = "lora"
	MethodPrefix  = "prefix"
	MethodAdapter = "adapter"
	MethodPartial = "partial"
)

var methods = []string{MethodLoRA, MethodPrefix, MethodAdapter, MethodPartial}

// Config is the stage's configuration: the method's settings and, shared
// with sft, the data and training settings.
type Config struct {
	Method string `cty:"method"`
	// LoRA.
	R             int      `cty:"r"`
	Alpha         float64  `cty:"alpha"`
	Dropout       float64  `cty:"dropout"`
	TargetModules []string `cty:"target_modules"`
	UseRSLoRA     bool     `cty:"use_rslora"`
	// Prefix tuning.
	NumVirtualTokens int `cty:"num_virtual_tokens"`
	PrefixProjection int `cty:"prefix_projection"`
	// Bottleneck adapters.
	Bottleneck int `cty:"bottleneck"`
	// Partial freezing.
	TrainableLayers int  `cty:"trainable_layers"`
	TrainEmbeddings bool `cty:"train_embeddings"`
	sft.Config
}

// DefaultConfig is LoRA with PEFT's usual settings (r 8, alpha 16, dropout
// 0.05 on attn.c_attn) and a learning rate higher than full fine-tuning's,
// as the few trained parameters start from zero.
func DefaultConfig() Config {
	sc := sft.DefaultConfig()
	sc.LR, sc.MinLR = 2e-3, 2e-4
	return Config{Method: MethodLoRA, R: 8, Alpha: 16, Dropout: 0.05, TargetModules: []string{"attn.c_attn"},
		NumVirtualTokens: 20, Bottleneck: 64, TrainableLayers: 1, Config: sc}
}

func (c Config) lora() model.LoRA {
	return model.LoRA{R: c.R, Alpha: c.Alpha, Dropout: c.Dropout, TargetModules: c.TargetModules, UseRSLoRA: c.UseRSLoRA}
}

// Check lists every invalid setting at once.
func (c Config) Check() sdk.Diagnostics {
	var ds sdk.Diagnostics
	switch c.Method {
	case MethodLoRA:
		if err := c.lora().Validate(); err != nil {
			ds = append(ds, sdk.Errorf(loraField(c), "Invalid LoRA setting", "%v.", err))
		}
	case MethodPrefix:
		if c.NumVirtualTokens <= 0 {
			ds = append(ds, sdk.Errorf("num_virtual_tokens", "Value out of range", "num_virtual_tokens is %d; it must be positive.", c.NumVirtualTokens))
		}
		if c.PrefixProjection < 0 {
			ds = append(ds, sdk.Errorf("prefix_projection", "Value out of range", "prefix_projection is %d; it must be 0 (none) or the projection's hidden size.", c.PrefixProjection))
		}
	case MethodAdapter:
		if c.Bottleneck <= 0 {
			ds = append(ds, sdk.Errorf("bottleneck", "Value out of range", "bottleneck is %d; it must be positive.", c.Bottleneck))
		}
	case MethodPartial:
		if c.TrainableLayers < 0 {
			ds = append(ds, sdk.Errorf("trainable_layers", "Value out of range", "trainable_layers is %d; it must be 0 or more.", c.TrainableLayers))
		}
	default:
		ds = append(ds, sdk.Errorf("method", "Unknown method", "method %q is not one of %s.", c.Method, strings.Join(methods, ", ")))
	}
	return append(ds, c.Config.Check()...)
}

// loraField names the attribute a LoRA validation error is about.
func loraField(c Config) string {
	switch {
	case c.R <= 0:
		return "r"
	case c.Dropout < 0 || c.Dropout >= 1:
		return "dropout"
	}
	return "target_modules"
}

// adapt freezes m and attaches what the method trains, from seed.
func (c Config) adapt(m *model.Model) error {
	seed := uint64(c.Seed)
	var err error
	switch c.Method {
	case MethodLoRA:
		err = m.AttachLoRA(c.lora(), seed)
	case MethodPrefix:
		err = m.AttachPrefix(model.Prefix{NumVirtualTokens: c.NumVirtualTokens, Projection: c.PrefixProjection}, seed)
	case MethodAdapter:
		err = m.AttachAdapters(model.Adapters{Bottleneck: c.Bottleneck}, seed)
	case MethodPartial:
		return m.FreezePartial(c.TrainableLayers, c.TrainEmbeddings)
	default:
		return fmt.Errorf("peft: unknown method %q", c.Method)
	}
	if err != nil {
		return err
	}
	m.FreezeBase()
	// Its own stream, so dropout masks do not depend on initialisation.
	m.DropoutRNG = *model.NewRNG(seed*0x9e3779b97f4a7c15 + 7)
	return nil
}
