package sft

import (
	"slices"
	"strings"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// What happens to an example longer than the context.
const (
	OverlongTruncate = "truncate" // keep its first block_size+1 tokens
	OverlongDrop     = "drop"
)

// Config is the stage's configuration (the `config` block of an sft stage).
type Config struct {
	// BlockSize is the length of a packed row; 0 takes the model's context.
	BlockSize int `cty:"block_size"`
	// Template names a built-in chat template; a template input overrides it.
	Template string `cty:"template"`
	// TrainOnPrompt also puts the loss on system and user turns.
	TrainOnPrompt bool   `cty:"train_on_prompt"`
	Overlong      string `cty:"overlong"`
	// ValFraction holds out this share of the examples, chosen from the
	// seed, when there is no val input.
	ValFraction float64 `cty:"val_fraction"`
	trainer.Config
}

// DefaultConfig fine-tunes a small pretrained model: a lower learning rate
// than pretraining, and reset position ids so packing is exact.
func DefaultConfig() Config {
	tc := trainer.DefaultConfig()
	tc.BatchSize, tc.LR, tc.MinLR, tc.Warmup, tc.MaxSteps = 8, 5e-4, 5e-5, 20, 500
	tc.WeightDecay, tc.EvalEvery, tc.EvalBatches = 0, 100, 16
	tc.ResetPositionIDs = true
	return Config{Template: chat.ChatML, Overlong: OverlongTruncate, ValFraction: 0.05, Config: tc}
}

// Check lists every invalid setting at once.
func (c Config) Check() sdk.Diagnostics {
	ds := trainer.NotNegative("block_size", c.BlockSize)
	if !slices.Contains(chat.Builtins(), c.Template) {
		ds = append(ds, sdk.Errorf("template", "Unknown chat template",
			"template %q is not one of %s; for another template, use a chat_template block as the template input.", c.Template, strings.Join(chat.Builtins(), ", ")))
	}
	if c.Overlong != OverlongTruncate && c.Overlong != OverlongDrop {
		ds = append(ds, sdk.Errorf("overlong", "Unknown overlong policy", "overlong %q must be %q or %q.", c.Overlong, OverlongTruncate, OverlongDrop))
	}
	if c.ValFraction < 0 || c.ValFraction >= 1 {
		ds = append(ds, sdk.Errorf("val_fraction", "Value out of range", "val_fraction is %g; it must be in [0, 1).", c.ValFraction))
	}
	return append(ds, c.Config.Check()...)
}
