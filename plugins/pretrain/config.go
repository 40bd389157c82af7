package pretrain

import (
	"fmt"
	"time"
)

// Config is the stage's configuration (the `config` block of a pretrain stage).
type Config struct {
	NLayer    int `cty:"n_layer"`
	NHead     int `cty:"n_head"`
	NEmbd     int `cty:"n_embd"`
	BlockSize int `cty:"block_size"`
	// VocabSize 0 takes the tokenizer's size (or the largest id in the data + 1).
	VocabSize int     `cty:"vocab_size"`
	BatchSize int     `cty:"batch_size"`
	GradAccum int     `cty:"grad_accum"`
	LR        float64 `cty:"lr"`
	MinLR     float64 `cty:"min_lr"`
	Warmup    int     `cty:"warmup_steps"`
	// The run stops at the first limit reached; at least one must be set.
	MaxSteps   int    `cty:"max_steps"`
	MaxTokens  int64  `cty:"max_tokens"`
	TimeBudget string `cty:"time_budget"` // Go duration, e.g. "5m"
	// WeightDecay applies to linear weights only unless DecayAll is set.
	WeightDecay float64 `cty:"weight_decay"`
	DecayAll    bool    `cty:"decay_all"`
	GradClip    float64 `cty:"grad_clip"`
	EvalEvery   int     `cty:"eval_every"`
	EvalBatches int     `cty:"eval_batches"`
	SaveEvery   int     `cty:"save_every"`
	LogEvery    int     `cty:"log_every"`
	Seed        int64   `cty:"seed"`
}

// DefaultConfig is the quickstart model: a small GPT that trains on a CPU in
// minutes.
func DefaultConfig() Config {
	return Config{
		NLayer: 4, NHead: 4, NEmbd: 128, BlockSize: 128, BatchSize: 16, GradAccum: 1,
		LR: 2e-3, MinLR: 2e-4, Warmup: 50, MaxSteps: 2000, WeightDecay: 0.1, GradClip: 1,
		EvalEvery: 200, EvalBatches: 8, LogEvery: 10, Seed: 1337,
	}
}

// Budget returns the parsed time budget (0 = none).
func (c Config) Budget() (time.Duration, error) {
	if c.TimeBudget == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(c.TimeBudget)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("time_budget: %q is not a duration such as \"5m\" or \"90s\"", c.TimeBudget)
	}
	return d, nil
}

// Problem is one invalid setting.
type Problem struct{ Attr, Summary, Detail string }

// Check lists every invalid setting at once.
func (c Config) Check() []Problem {
	var ps []Problem
	pos := func(attr string, v int) {
		if v <= 0 {
			ps = append(ps, Problem{attr, "Value must be positive", fmt.Sprintf("%s is %d; it must be at least 1.", attr, v)})
		}
	}
	pos("n_layer", c.NLayer)
	pos("n_head", c.NHead)
	pos("n_embd", c.NEmbd)
	pos("block_size", c.BlockSize)
	pos("batch_size", c.BatchSize)
	pos("grad_accum", c.GradAccum)
	if c.NHead > 0 && c.NEmbd%c.NHead != 0 {
		ps = append(ps, Problem{"n_embd", "Width not divisible by heads", fmt.Sprintf("n_embd (%d) must be a multiple of n_head (%d).", c.NEmbd, c.NHead)})
	}
	if c.LR <= 0 || c.MinLR < 0 || c.MinLR > c.LR {
		ps = append(ps, Problem{"lr", "Invalid learning rates", fmt.Sprintf("Need 0 <= min_lr (%g) <= lr (%g) and lr > 0.", c.MinLR, c.LR)})
	}
	for attr, v := range map[string]int{"warmup_steps": c.Warmup, "max_steps": c.MaxSteps, "eval_every": c.EvalEvery,
		"eval_batches": c.EvalBatches, "save_every": c.SaveEvery, "log_every": c.LogEvery, "vocab_size": c.VocabSize} {
		if v < 0 {
			ps = append(ps, Problem{attr, "Value must not be negative", fmt.Sprintf("%s is %d.", attr, v)})
		}
	}
	if c.WeightDecay < 0 || c.GradClip < 0 || c.MaxTokens < 0 {
		ps = append(ps, Problem{"weight_decay", "Value must not be negative", "weight_decay, grad_clip and max_tokens must be 0 or more."})
	}
	d, err := c.Budget()
	if err != nil {
		ps = append(ps, Problem{"time_budget", "Invalid duration", err.Error()})
	}
	if c.MaxSteps == 0 && c.MaxTokens == 0 && d == 0 {
		ps = append(ps, Problem{"max_steps", "No stopping rule", "Set max_steps, max_tokens or time_budget so training ends."})
	}
	return ps
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
