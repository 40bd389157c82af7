package pretrain

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// Version is the stage version reported by Describe.
const Version = "0.1.0"

// Stage is the `pretrain` stage: input "data" (dataset/tokens, with "val"
// and "tokenizer" optional), output "model" (checkpoint).
type Stage struct{}

// Describe implements sdk.Stage.
func (Stage) Describe(context.Context) (*sdk.Description, error) {
	return describe(), nil
}

func describe() *sdk.Description {
	d := DefaultConfig()
	num := func(name string, v float64, doc string) sdk.Attribute {
		return sdk.Attribute{Name: name, Type: cty.Number, Default: cty.NumberFloatVal(v), Doc: doc}
	}
	return &sdk.Description{
		Name:    "pretrain",
		Version: Version,
		Doc:     "Trains a GPT-2 from scratch on a tokens dataset and writes a Hugging Face GPT-2 checkpoint.",
		Config: append([]sdk.Attribute{
			num("n_layer", float64(d.NLayer), "Transformer blocks."),
			num("n_head", float64(d.NHead), "Attention heads per block."),
			num("n_embd", float64(d.NEmbd), "Width of the residual stream."),
			num("block_size", float64(d.BlockSize), "Context length in tokens."),
			num("vocab_size", 0, "Vocabulary size; 0 takes the tokenizer's."),
		}, trainer.Attributes(d.Config)...),
		Inputs: []sdk.Port{
			{Name: "data", Kind: artifact.KindTokens, Doc: "Training tokens."},
			{Name: "val", Kind: artifact.KindTokens, Optional: true, Doc: "Validation tokens."},
			{Name: "tokenizer", Kind: artifact.KindTokenizer, Optional: true, Doc: "Tokenizer copied into the checkpoint."},
		},
		Outputs: []sdk.Port{{Name: "model", Kind: artifact.KindCheckpoint, Doc: "model.safetensors, config.json, tokenizer.json and training state."},
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
	data, ok := req.Inputs["data"]
	if !ok {
		return fmt.Errorf("pretrain: input \"data\" is required")
	}
	in := Inputs{}
	if in.Train, err = trainer.LoadData(ctx, data.Path, cfg.BlockSize); err != nil {
		return err
	}
	if v, ok := req.Inputs["val"]; ok {
		if in.Val, err = trainer.LoadData(ctx, v.Path, cfg.BlockSize); err != nil {
			return err
		}
	}
	in.TokenizerJSON = findTokenizer(req.Inputs)
	ev.Log(fmt.Sprintf("pretrain: %d training examples (%d tokens), tokenizer %q", len(in.Train.Examples), in.Train.Tokens(), in.TokenizerJSON))
	res, err := Train(ctx, cfg, in, req.OutputDir, ev)
	if res != nil {
		ev.Output("model", res.Dir, artifact.KindCheckpoint)
		trainer.EmitTensorBoard(ev, res)
	}
	return err
}

// findTokenizer looks for tokenizer.json in the tokenizer input, then beside
// the data.
func findTokenizer(inputs map[string]sdk.Input) string {
	for _, name := range []string{"tokenizer", "data"} {
		if in, ok := inputs[name]; ok {
			p := filepath.Join(in.Path, model.TokenizerFile)
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	return ""
}
