package align

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// PPOConfig is the configuration of a ppo stage. Its fields, in this order,
// are part of the hash that ties a saved state to its run (Steps, LogEvery,
// SaveEvery and ReportSamples left out: they may change between the runs
// that make up one training).
type PPOConfig struct {
	Steps       int     `cty:"steps"`
	BatchSize   int     `cty:"batch_size"`
	MiniBatches int     `cty:"mini_batches"`
	PPOEpochs   int     `cty:"ppo_epochs"`
	LR          float64 `cty:"lr"`
	WeightDecay float64 `cty:"weight_decay"`
	GradClip    float64 `cty:"grad_clip"`
	// The KL penalty and its adaptive controller.
	InitKLCoef float64 `cty:"init_kl_coef"`
	AdaptiveKL bool    `cty:"adaptive_kl"`
	TargetKL   float64 `cty:"target"`
	Horizon    float64 `cty:"horizon"`
	// GAE and the clipped objectives.
	Gamma          float64 `cty:"gamma"`
	Lambda         float64 `cty:"lam"`
	ClipRange      float64 `cty:"cliprange"`
	ClipRangeValue float64 `cty:"cliprange_value"`
	VFCoef         float64 `cty:"vf_coef"`
	// Rollouts.
	Temperature  float64 `cty:"temperature"`
	TopK         int     `cty:"top_k"`
	MaxNewTokens int     `cty:"max_new_tokens"`
	// Held-out evaluation: 0 answers greedily, else samples from the seed.
	EvalTemperature float64 `cty:"eval_temperature"`
	ReportSamples   int     `cty:"report_samples"`
	LogEvery        int     `cty:"log_every"`
	SaveEvery       int     `cty:"save_every"`
	Seed            int64   `cty:"seed"`
}

// DefaultPPOConfig follows TRL's PPOConfig defaults where they suit a small
// model on a CPU; the batch is smaller and the learning rate higher.
func DefaultPPOConfig() PPOConfig {
	return PPOConfig{
		Steps: 100, BatchSize: 16, MiniBatches: 4, PPOEpochs: 4, LR: 1e-4, GradClip: 1,
		InitKLCoef: 0.2, AdaptiveKL: true, TargetKL: 6, Horizon: 10000,
		Gamma: 1, Lambda: 0.95, ClipRange: 0.2, ClipRangeValue: 0.2, VFCoef: 0.1,
		Temperature: 1, MaxNewTokens: 32, ReportSamples: 4, LogEvery: 1, SaveEvery: 1, Seed: 1337,
	}
}

func ppoAttributes(d PPOConfig) []sdk.Attribute {
	num := func(name string, v float64, doc string) sdk.Attribute {
		return sdk.Attribute{Name: name, Type: cty.Number, Default: cty.NumberFloatVal(v), Doc: doc}
	}
	return []sdk.Attribute{
		num("steps", float64(d.Steps), "PPO steps: rollout batches, each followed by the optimisation epochs."),
		num("batch_size", float64(d.BatchSize), "Prompts per rollout batch."),
		num("mini_batches", float64(d.MiniBatches), "Optimizer steps per epoch over a rollout batch; batch_size must divide by it."),
		num("ppo_epochs", float64(d.PPOEpochs), "Passes over each rollout batch."),
		num("lr", d.LR, "AdamW learning rate (constant)."),
		num("weight_decay", d.WeightDecay, "AdamW decoupled weight decay on linear weights."),
		num("grad_clip", d.GradClip, "Clip the global gradient norm to this (0: off)."),
		num("init_kl_coef", d.InitKLCoef, "Initial coefficient of the per-token KL penalty −kl_coef·(log π − log π_ref)."),
		{Name: "adaptive_kl", Type: cty.Bool, Default: cty.BoolVal(d.AdaptiveKL), Doc: "Adapt kl_coef toward target (Ziegler et al. 2019); false keeps it fixed."},
		num("target", d.TargetKL, "KL to the reference (nats per response) the adaptive controller aims for."),
		num("horizon", d.Horizon, "Rollouts over which the controller moves kl_coef by at most 20%."),
		num("gamma", d.Gamma, "Discount of GAE."),
		num("lam", d.Lambda, "λ of GAE."),
		num("cliprange", d.ClipRange, "ε of the clipped surrogate objective."),
		num("cliprange_value", d.ClipRangeValue, "ε of the clipped value loss."),
		num("vf_coef", d.VFCoef, "Weight of the value loss."),
		num("temperature", d.Temperature, "Sampling temperature of rollouts (must be positive)."),
		num("top_k", float64(d.TopK), "Sample rollouts from the k most likely tokens (0: all)."),
		num("max_new_tokens", float64(d.MaxNewTokens), "Longest response; a response also ends at the end-of-turn token."),
		num("eval_temperature", d.EvalTemperature, "Held-out responses: 0 answers greedily, else samples at this temperature from the seed."),
		num("report_samples", float64(d.ReportSamples), "Rollouts per logging step written to the report."),
		num("log_every", float64(d.LogEvery), "PPO steps between metrics and report samples."),
		num("save_every", float64(d.SaveEvery), "PPO steps between saved states (0: only at the end)."),
		{Name: "seed", Type: cty.Number, Doc: "Seed of the value head, rollouts and mini-batch order (default: the run seed)."},
	}
}

// Check lists every invalid setting at once.
func (c PPOConfig) Check() sdk.Diagnostics {
	var ds sdk.Diagnostics
	for _, p := range []struct {
		name string
		v    int
	}{{"steps", c.Steps}, {"batch_size", c.BatchSize}, {"mini_batches", c.MiniBatches}, {"ppo_epochs", c.PPOEpochs}, {"max_new_tokens", c.MaxNewTokens}} {
		ds = append(ds, trainer.Positive(p.name, p.v)...)
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"top_k", c.TopK}, {"report_samples", c.ReportSamples}, {"log_every", c.LogEvery}, {"save_every", c.SaveEvery}} {
		ds = append(ds, trainer.NotNegative(p.name, p.v)...)
	}
	if c.MiniBatches > 0 && c.BatchSize%c.MiniBatches != 0 {
		ds = append(ds, sdk.Errorf("mini_batches", "Batch does not divide", "batch_size %d does not divide into %d mini-batches; choose a divisor of batch_size.", c.BatchSize, c.MiniBatches))
	}
	positive := func(name string, v float64) {
		if !(v > 0) {
			ds = append(ds, sdk.Errorf(name, "Value must be positive", "%s is %g; it must be above 0.", name, v))
		}
	}
	positive("lr", c.LR)
	positive("temperature", c.Temperature)
	positive("cliprange", c.ClipRange)
	positive("cliprange_value", c.ClipRangeValue)
	if c.AdaptiveKL {
		positive("target", c.TargetKL)
		positive("horizon", c.Horizon)
	}
	notNegative := func(name string, v float64) {
		if !(v >= 0) {
			ds = append(ds, sdk.Errorf(name, "Value must not be negative", "%s is %g.", name, v))
		}
	}
	notNegative("weight_decay", c.WeightDecay)
	notNegative("grad_clip", c.GradClip)
	notNegative("init_kl_coef", c.InitKLCoef)
	notNegative("vf_coef", c.VFCoef)
	notNegative("eval_temperature", c.EvalTemperature)
	for _, p := range []struct {
		name string
		v    float64
	}{{"gamma", c.Gamma}, {"lam", c.Lambda}} {
		if !(p.v >= 0 && p.v <= 1) {
			ds = append(ds, sdk.Errorf(p.name, "Value out of range", "%s is %g; it must be in [0, 1].", p.name, p.v))
		}
	}
	return ds
}

// resumeKey is what must match for a saved state to be resumed.
func (c PPOConfig) resumeKey() PPOConfig {
	c.Steps, c.LogEvery, c.SaveEvery, c.ReportSamples = 0, 0, 0, 0
	return c
}
