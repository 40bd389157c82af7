package trainer

import (
	"fmt"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/plugins/sdk"
)

// Config holds the training settings every stage shares. A stage's config
// struct embeds it (sdk.DecodeConfig fills both from one object). Its fields,
// in this order, are part of the hash that ties a saved training state to
// its run, so a new field goes at the end, tagged omitempty when its zero
// value keeps the old behaviour.
type Config struct {
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
	// ResetPositionIDs numbers positions from each document's start inside
	// a packed row (model.Batch.ResetPositionIDs). Left out of the state hash
	// while false, so states saved before it existed still resume.
	ResetPositionIDs bool `cty:"reset_position_ids" json:",omitempty"`
	// TensorBoard writes the metrics to TensorBoard event files as well,
	// output as "tensorboard". Left out of the state hash while false.
	TensorBoard bool `cty:"tensorboard" json:",omitempty"`
}

// DefaultConfig is a schedule that suits small models on a CPU.
func DefaultConfig() Config {
	return Config{
		BatchSize: 16, GradAccum: 1, LR: 2e-3, MinLR: 2e-4, Warmup: 50, MaxSteps: 2000, WeightDecay: 0.1,
		GradClip: 1, EvalEvery: 200, EvalBatches: 8, LogEvery: 10, Seed: 1337,
	}
}

// Attributes describes the shared settings for a stage's schema, with the
// stage's defaults d.
func Attributes(d Config) []sdk.Attribute {
	num := func(name string, v float64, doc string) sdk.Attribute {
		return sdk.Attribute{Name: name, Type: cty.Number, Default: cty.NumberFloatVal(v), Doc: doc}
	}
	return []sdk.Attribute{
		num("batch_size", float64(d.BatchSize), "Sequences per micro-batch."),
		num("grad_accum", float64(d.GradAccum), "Micro-batches per optimizer step."),
		num("lr", d.LR, "Peak learning rate."),
		num("min_lr", d.MinLR, "Learning rate at the end of the cosine decay."),
		num("warmup_steps", float64(d.Warmup), "Steps of linear warmup."),
		num("max_steps", float64(d.MaxSteps), "Stop after this many optimizer steps (0: no limit)."),
		num("max_tokens", float64(d.MaxTokens), "Stop after this many training tokens (0: no limit)."),
		{Name: "time_budget", Type: cty.String, Default: cty.StringVal(d.TimeBudget), Doc: "Stop after this much training time, e.g. \"5m\" (empty: no limit)."},
		num("weight_decay", d.WeightDecay, "AdamW decoupled weight decay on linear weights."),
		{Name: "decay_all", Type: cty.Bool, Default: cty.BoolVal(d.DecayAll), Doc: "Also decay biases, LayerNorm and embeddings."},
		num("grad_clip", d.GradClip, "Clip the global gradient norm to this (0: off)."),
		num("eval_every", float64(d.EvalEvery), "Steps between validation evaluations (0: only at the end)."),
		num("eval_batches", float64(d.EvalBatches), "Validation batches per evaluation (0: all)."),
		num("save_every", float64(d.SaveEvery), "Steps between checkpoints (0: only at the end)."),
		num("log_every", float64(d.LogEvery), "Steps between train metrics."),
		{Name: "seed", Type: cty.Number, Doc: "Seed of initialisation and data order (default: the run seed)."},
		{Name: "reset_position_ids", Type: cty.Bool, Default: cty.BoolVal(d.ResetPositionIDs),
			Doc: "Number positions from each document's start inside a packed row, so a packed document trains as it would alone."},
		{Name: "tensorboard", Type: cty.Bool, Default: cty.BoolVal(d.TensorBoard),
			Doc: "Also write the metrics as TensorBoard event files, the stage's \"tensorboard\" output (llmflow export stage.NAME.tensorboard DIR)."},
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

// Check lists every invalid shared setting at once.
func (c Config) Check() sdk.Diagnostics {
	ds := append(Positive("batch_size", c.BatchSize), Positive("grad_accum", c.GradAccum)...)
	if c.LR <= 0 || c.MinLR < 0 || c.MinLR > c.LR {
		ds = append(ds, sdk.Errorf("lr", "Invalid learning rates", "Need 0 <= min_lr (%g) <= lr (%g) and lr > 0.", c.MinLR, c.LR))
	}
	ds = append(ds, NotNegative("warmup_steps", c.Warmup)...)
	ds = append(ds, NotNegative("max_steps", c.MaxSteps)...)
	ds = append(ds, NotNegative("eval_every", c.EvalEvery)...)
	ds = append(ds, NotNegative("eval_batches", c.EvalBatches)...)
	ds = append(ds, NotNegative("save_every", c.SaveEvery)...)
	ds = append(ds, NotNegative("log_every", c.LogEvery)...)
	if c.WeightDecay < 0 || c.GradClip < 0 || c.MaxTokens < 0 {
		ds = append(ds, sdk.Errorf("weight_decay", "Value must not be negative", "weight_decay, grad_clip and max_tokens must be 0 or more."))
	}
	d, err := c.Budget()
	if err != nil {
		ds = append(ds, sdk.Errorf("time_budget", "Invalid duration", "%s", err))
	}
	if c.MaxSteps == 0 && c.MaxTokens == 0 && d == 0 {
		ds = append(ds, sdk.Errorf("max_steps", "No stopping rule", "Set max_steps, max_tokens or time_budget so training ends."))
	}
	return ds
}

// Positive returns an error diagnostic about attr unless v >= 1.
func Positive(attr string, v int) sdk.Diagnostics {
	if v > 0 {
		return nil
	}
	return sdk.Diagnostics{sdk.Errorf(attr, "Value must be positive", "%s is %d; it must be at least 1.", attr, v)}
}

// NotNegative returns an error diagnostic about attr when v < 0.
func NotNegative(attr string, v int) sdk.Diagnostics {
	if v >= 0 {
		return nil
	}
	return sdk.Diagnostics{sdk.Errorf(attr, "Value must not be negative", "%s is %d.", attr, v)}
}

// withoutLimits clears what may change between the runs that make up one
// training (limits and reporting); the rest must match to resume.
func (c Config) withoutLimits() Config {
	c.MaxSteps, c.MaxTokens, c.TimeBudget, c.EvalEvery, c.EvalBatches, c.SaveEvery, c.LogEvery = 0, 0, "", 0, 0, 0, 0
	c.TensorBoard = false
	return c
}
