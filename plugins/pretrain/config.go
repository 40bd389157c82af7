package pretrain

import (
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// Config is the stage's configuration (the `config` block of a pretrain
// stage): the model's shape and the shared training settings.
type Config struct {
	NLayer    int `cty:"n_layer"`
	NHead     int `cty:"n_head"`
	NEmbd     int `cty:"n_embd"`
	BlockSize int `cty:"block_size"`
	// VocabSize 0 takes the tokenizer's size (or the largest id in the data + 1).
	VocabSize int `cty:"vocab_size"`
	trainer.Config
}

// DefaultConfig is the quickstart model: a small GPT that trains on a CPU in
// minutes.
func DefaultConfig() Config {
	return Config{NLayer: 4, NHead: 4, NEmbd: 128, BlockSize: 128, Config: trainer.DefaultConfig()}
}

// Check lists every invalid setting at once.
func (c Config) Check() sdk.Diagnostics {
	var ds sdk.Diagnostics
	ds = append(ds, trainer.Positive("n_layer", c.NLayer)...)
	ds = append(ds, trainer.Positive("n_head", c.NHead)...)
	ds = append(ds, trainer.Positive("n_embd", c.NEmbd)...)
	ds = append(ds, trainer.Positive("block_size", c.BlockSize)...)
	ds = append(ds, trainer.NotNegative("vocab_size", c.VocabSize)...)
	if c.NHead > 0 && c.NEmbd%c.NHead != 0 {
		ds = append(ds, sdk.Errorf("n_embd", "Width not divisible by heads", "n_embd (%d) must be a multiple of n_head (%d).", c.NEmbd, c.NHead))
	}
	return append(ds, c.Config.Check()...)
}

// QuickstartConfig is the configuration of the quickstart example: a 4-layer,
// 192-wide GPT over a 512-token byte-level BPE with a 5-minute budget, sized
// to reach about 1.88 nats per character on tinyshakespeare on 2 cores.
func QuickstartConfig() Config {
	c := DefaultConfig()
	c.NLayer, c.NHead, c.NEmbd, c.BlockSize, c.BatchSize = 4, 4, 192, 96, 16
	c.LR, c.MinLR, c.Warmup = 2e-3, 2e-4, 50
	c.MaxSteps, c.TimeBudget = 0, "5m"
	c.WeightDecay, c.EvalEvery, c.EvalBatches = 0.1, 0, 0
	return c
}

// modelConfig is the model shape c trains with a vocabulary of vocab ids.
func (c Config) modelConfig(vocab int) model.Config {
	return model.Config{VocabSize: vocab, NPositions: c.BlockSize, NLayer: c.NLayer, NHead: c.NHead,
		NEmbd: c.NEmbd, LayerNormEps: 1e-5}
}
