package sft

import (
	"context"
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// Version is the stage version reported by Describe.
const Version = "0.1.0"

// Stage is the `sft` stage: inputs "model" (checkpoint) and "data"
// (dataset/instruction), with "val" and "template" optional; output
// "model" (checkpoint).
type Stage struct{}

// Describe implements sdk.Stage.
func (Stage) Describe(context.Context) (*sdk.Description, error) {
	return describe(), nil
}

// Describe returns the stage's description; stages that train on the same
// inputs (peft) build theirs from it.
func Describe() *sdk.Description { return describe() }

func describe() *sdk.Description {
	d := DefaultConfig()
	return &sdk.Description{
		Name:    "sft",
		Version: Version,
		Doc:     "Fine-tunes a GPT-2 checkpoint on instruction data rendered with a chat template.",
		Config: append([]sdk.Attribute{
			{Name: "block_size", Type: cty.Number, Default: cty.NumberIntVal(int64(d.BlockSize)),
				Doc: "Tokens per packed row (0: the model's context length)."},
			{Name: "template", Type: cty.String, Default: cty.StringVal(d.Template),
				Doc: "Built-in chat template, \"chatml\" or \"plain\", used without a template input."},
			{Name: "train_on_prompt", Type: cty.Bool, Default: cty.BoolVal(d.TrainOnPrompt),
				Doc: "Also learn system and user turns and the template's formatting (default: assistant turns and their end-of-turn token only)."},
			{Name: "overlong", Type: cty.String, Default: cty.StringVal(d.Overlong),
				Doc: "An example longer than block_size+1 tokens is cut to it (\"truncate\") or left out (\"drop\")."},
			{Name: "val_fraction", Type: cty.Number, Default: cty.NumberFloatVal(d.ValFraction),
				Doc: "Without a val input, hold out this share of the examples, chosen from the seed (0: none)."},
		}, trainer.Attributes(d.Config)...),
		Inputs: []sdk.Port{
			{Name: "model", Kind: artifact.KindCheckpoint, Doc: "Checkpoint to fine-tune, with its tokenizer.json."},
			{Name: "data", Kind: artifact.KindInstruction, Doc: "Training conversations."},
			{Name: "val", Kind: artifact.KindInstruction, Optional: true, Doc: "Held-out conversations for val_loss (response tokens only)."},
			{Name: "template", Kind: artifact.KindChatTemplate, Optional: true, Doc: "Chat template from a chat_template block; overrides the template attribute."},
		},
		Outputs: []sdk.Port{{Name: "model", Kind: artifact.KindCheckpoint,
			Doc: "model.safetensors, config.json, tokenizer.json, tokenizer_config.json, generation_config.json, template.json and training state."},
			trainer.TensorBoardPort},
	}
}

// Validate implements sdk.Stage.
func (Stage) Validate(_ context.Context, cfg cty.Value) sdk.Diagnostics {
	return sdk.ValidateConfig[Config](describe(), cfg)
}

func decode(cfg cty.Value, seed int64) (Config, error) {
	var c Config
	err := describe().DecodeRunConfig(cfg, seed, &c)
	return c, err
}

// Run implements sdk.Stage. A stop (cancelled ctx) saves the checkpoint and
// still reports it as the output.
func (Stage) Run(ctx context.Context, req *sdk.RunRequest, ev sdk.Events) error {
	cfg, err := decode(req.Config, req.Seed)
	if err != nil {
		return err
	}
	in, err := ReadInputs(ctx, req.Inputs)
	if err != nil {
		return err
	}
	res, err := Train(ctx, cfg, in, req.OutputDir, ev)
	if res != nil {
		ev.Output("model", res.Dir, artifact.KindCheckpoint)
		trainer.EmitTensorBoard(ev, res)
	}
	return err
}

// ReadInputs reads the conversations and template a stage with sft's
// inputs (model, data, val, template) was given.
func ReadInputs(ctx context.Context, inputs map[string]sdk.Input) (Inputs, error) {
	mi, ok := inputs["model"]
	if !ok {
		return Inputs{}, fmt.Errorf("input \"model\" is required")
	}
	data, ok := inputs["data"]
	if !ok {
		return Inputs{}, fmt.Errorf("input \"data\" is required")
	}
	in := Inputs{ModelDir: mi.Path}
	var err error
	if in.Train, err = ReadConversations(ctx, data.Path); err != nil {
		return Inputs{}, err
	}
	if v, ok := inputs["val"]; ok {
		if in.Val, err = ReadConversations(ctx, v.Path); err != nil {
			return Inputs{}, err
		}
		if in.Val == nil {
			in.Val = [][]chat.Message{} // an empty val input: no held-out loss, no hold-out
		}
	}
	if t, ok := inputs["template"]; ok {
		if in.Template, err = chat.Load(t.Path); err != nil {
			return Inputs{}, err
		}
	}
	return in, nil
}
