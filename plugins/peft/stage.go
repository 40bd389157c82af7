package peft

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/model"
	mpeft "github.com/llmflow/llmflow/model/peft"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/sft"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// Version of the stage; part of every cache key.
const Version = "0.1.0"

// AdapterDirName is the output directory (under the output dir) of an
// adapter.
const AdapterDirName = "adapter"

// Stage implements sdk.Stage.
type Stage struct{}

// Describe implements sdk.Stage.
func (Stage) Describe(context.Context) (*sdk.Description, error) {
	return describe(), nil
}

func describe() *sdk.Description {
	d := DefaultConfig()
	sd := sft.Describe()
	num := func(name string, v int, doc string) sdk.Attribute {
		return sdk.Attribute{Name: name, Type: cty.Number, Default: cty.NumberIntVal(int64(v)), Doc: doc}
	}
	mods := make([]cty.Value, len(d.TargetModules))
	for i, s := range d.TargetModules {
		mods[i] = cty.StringVal(s)
	}
	return &sdk.Description{
		Name:    "peft",
		Version: Version,
		Doc:     "Tunes a few parameters of a frozen GPT-2 checkpoint (LoRA, prefix, bottleneck adapters or its top blocks) on instruction data.",
		Config: append([]sdk.Attribute{
			{Name: "method", Type: cty.String, Default: cty.StringVal(d.Method), Doc: "\"lora\", \"prefix\", \"adapter\" or \"partial\"."},
			num("r", d.R, "LoRA rank."),
			{Name: "alpha", Type: cty.Number, Default: cty.NumberFloatVal(d.Alpha), Doc: "LoRA scaling numerator: the update is alpha/r·B·A."},
			{Name: "dropout", Type: cty.Number, Default: cty.NumberFloatVal(d.Dropout), Doc: "Dropout on the LoRA input path, in training only."},
			{Name: "target_modules", Type: cty.List(cty.String), Default: cty.ListVal(mods),
				Doc: "Layers LoRA adapts in every block: attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj."},
			{Name: "use_rslora", Type: cty.Bool, Default: cty.False, Doc: "Scale LoRA by alpha/√r (rank-stabilised) instead of alpha/r."},
			num("num_virtual_tokens", d.NumVirtualTokens, "Prefix length in every block's attention."),
			num("prefix_projection", d.PrefixProjection, "Hidden size of an MLP that reparameterises the prefix in training (0: none)."),
			num("bottleneck", d.Bottleneck, "Hidden size of the bottleneck adapters."),
			num("trainable_layers", d.TrainableLayers, "partial: train the top this many blocks and the final LayerNorm."),
			{Name: "train_embeddings", Type: cty.Bool, Default: cty.False, Doc: "partial: also train the token (tied to the output layer) and position embeddings."},
		}, sd.Config...),
		Inputs: []sdk.Port{
			sd.Inputs[0],
			{Name: "data", Doc: "Training conversations (an instruction dataset), or a token dataset for continued pretraining."},
			{Name: "val", Optional: true, Doc: "Held-out data of the same kind as data, for val_loss."},
			sd.Inputs[3],
		},
		// One of the two, by method.
		Outputs: []sdk.Port{
			{Name: "model", Kind: artifact.KindCheckpoint, Optional: true,
				Doc: "partial: the full checkpoint, its frozen tensors the base's, with the chat files and training state."},
			{Name: "adapter", Kind: artifact.KindAdapter, Optional: true,
				Doc: "lora, prefix, adapter: adapter_model.safetensors and adapter_config.json in the PEFT layout, with the base's digest."},
			trainer.TensorBoardPort,
		},
	}
}

// Validate implements sdk.Stage.
func (Stage) Validate(_ context.Context, cfg cty.Value) sdk.Diagnostics {
	return sdk.ValidateConfig[Config](describe(), cfg)
}

// Run implements sdk.Stage. A stop (cancelled ctx) saves and still reports
// the output.
func (Stage) Run(ctx context.Context, req *sdk.RunRequest, ev sdk.Events) error {
	var cfg Config
	if err := describe().DecodeRunConfig(req.Config, req.Seed, &cfg); err != nil {
		return err
	}
	if diags := cfg.Check(); diags.HasErrors() {
		return fmt.Errorf("peft config: %w", diags.Err())
	}
	mi, ok := req.Inputs["model"]
	if !ok {
		return fmt.Errorf("input \"model\" is required")
	}
	tokens, err := checkDataKinds(req.Inputs)
	if err != nil {
		return err
	}
	base, err := mpeft.BaseOf(mi.Path)
	if err != nil {
		return err
	}
	// Not the whole path: the adapter's bytes must not depend on where the
	// store is.
	base.NameOrPath = filepath.Base(mi.Path)
	var m *model.Model
	adapt := func(mm *model.Model) error {
		if err := cfg.adapt(mm); err != nil {
			return err
		}
		m = mm
		reportParams(ev, m)
		return nil
	}
	var res *trainer.Result
	if tokens {
		res, err = trainTokens(ctx, cfg, mi.Path, req.Inputs, req.OutputDir, adapt, ev)
	} else {
		in, rerr := sft.ReadInputs(ctx, req.Inputs)
		if rerr != nil {
			return rerr
		}
		in.FixedVocab, in.Settings, in.Adapt = true, cfg, adapt
		res, err = sft.Train(ctx, cfg.Config, in, req.OutputDir, ev)
	}
	if res == nil {
		return err
	}
	trainer.EmitTensorBoard(ev, res)
	if cfg.Method == MethodPartial {
		ev.Output("model", res.Dir, artifact.KindCheckpoint)
		return err
	}
	dir := filepath.Join(req.OutputDir, AdapterDirName)
	if serr := mpeft.Save(dir, m, base); serr != nil {
		return serr
	}
	// The template travels with the adapter, for chat and merge.
	if serr := chat.CopyFiles(res.Dir, dir); serr != nil {
		return serr
	}
	ev.Output("adapter", dir, artifact.KindAdapter)
	return err
}

// reportParams emits the trainable and total parameter counts.
func reportParams(ev trainer.Events, m *model.Model) {
	n, total := m.NumTrainable(), len(m.Params)
	ev.Metric(0, "trainable_params", float64(n))
	ev.Metric(0, "total_params", float64(total))
	ev.Metric(0, "trainable_share", float64(n)/float64(total))
	ev.Log(fmt.Sprintf("peft: training %d of %d parameters (%.3f%%)", n, total, 100*float64(n)/float64(total)))
}
