package align

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// Version is the version the alignment stages report.
const Version = "0.1.0"

// AdapterDirName is the output directory of a trained LoRA policy.
const AdapterDirName = "adapter"

// DPOConfig is the dpo stage's configuration.
type DPOConfig struct {
	Loss           string  `cty:"loss"`
	Beta           float64 `cty:"beta"`
	LabelSmoothing float64 `cty:"label_smoothing"`
	ValFraction    float64 `cty:"val_fraction"`
	Truncation
	trainer.Config
}

// DefaultDPOConfig follows TRL's defaults (β 0.1, sigmoid) with a schedule
// for small models on a CPU.
func DefaultDPOConfig() DPOConfig {
	tc := trainer.DefaultConfig()
	tc.BatchSize, tc.LR, tc.MinLR, tc.Warmup, tc.MaxSteps = 8, 1e-4, 1e-5, 10, 200
	tc.WeightDecay, tc.EvalEvery = 0, 50
	return DPOConfig{Loss: LossSigmoid, Beta: 0.1, ValFraction: 0.1, Config: tc}
}

func (c DPOConfig) preferenceLoss() PreferenceLoss {
	return PreferenceLoss{Type: c.Loss, Beta: c.Beta, LabelSmoothing: c.LabelSmoothing}
}

// Check lists every invalid setting at once.
func (c DPOConfig) Check() sdk.Diagnostics {
	ds := checkPairSettings(c.Truncation, c.ValFraction, c.BatchSize)
	if err := c.preferenceLoss().Check(); err != nil {
		attr := "loss"
		switch {
		case strings.HasPrefix(err.Error(), "beta"):
			attr = "beta"
		case strings.HasPrefix(err.Error(), "label_smoothing"):
			attr = "label_smoothing"
		}
		ds = append(ds, sdk.Errorf(attr, "Invalid DPO loss setting", "%s.", err))
	}
	return append(ds, c.Config.Check()...)
}

func describeDPO() *sdk.Description {
	d := DefaultDPOConfig()
	return &sdk.Description{
		Name: "dpo", Version: Version,
		Doc: "Direct preference optimisation of a checkpoint or a LoRA adapter against a frozen reference (sigmoid, IPO or hinge loss).",
		Config: append(append([]sdk.Attribute{
			{Name: "loss", Type: cty.String, Default: cty.StringVal(d.Loss),
				Doc: "\"sigmoid\" (DPO), \"ipo\" (on per-token mean log-probs) or \"hinge\", as TRL defines them."},
			{Name: "beta", Type: cty.Number, Default: cty.NumberFloatVal(d.Beta), Doc: "β: the strength of the pull toward the reference."},
			{Name: "label_smoothing", Type: cty.Number, Default: cty.NumberFloatVal(d.LabelSmoothing),
				Doc: "Sigmoid loss only: the assumed share of pairs whose labels are flipped (conservative DPO)."},
			{Name: "val_fraction", Type: cty.Number, Default: cty.NumberFloatVal(d.ValFraction),
				Doc: "Without a val input, hold out this share of the pairs, chosen from the seed (0: none)."},
		}, truncationAttributes()...), trainer.Attributes(d.Config)...),
		Inputs: []sdk.Port{
			{Name: "model", Kind: artifact.KindCheckpoint, Doc: "The policy to align (with its chat template); also the reference."},
			{Name: "adapter", Kind: artifact.KindAdapter, Optional: true,
				Doc: "A LoRA adapter on the model: it is trained instead, and the model without it is the reference."},
			{Name: "data", Kind: artifact.KindPreference, Doc: "Training pairs; reference log-probs from a logps stage are used when present."},
			{Name: "val", Kind: artifact.KindPreference, Optional: true, Doc: "Held-out pairs for the eval_ metrics."},
		},
		Outputs: []sdk.Port{
			{Name: "model", Kind: artifact.KindCheckpoint, Optional: true, Doc: "The aligned checkpoint (without an adapter input)."},
			{Name: "adapter", Kind: artifact.KindAdapter, Optional: true, Doc: "The aligned LoRA adapter (with an adapter input)."},
		},
	}
}

// DPOStage is the `dpo` stage.
type DPOStage struct{}

// Describe implements sdk.Stage.
func (DPOStage) Describe(context.Context) (*sdk.Description, error) { return describeDPO(), nil }

// Validate implements sdk.Stage.
func (DPOStage) Validate(_ context.Context, cfg cty.Value) sdk.Diagnostics {
	return sdk.ValidateConfig[DPOConfig](describeDPO(), cfg)
}

// Run implements sdk.Stage. A stop (cancelled ctx) saves and still reports
// the output.
func (DPOStage) Run(ctx context.Context, req *sdk.RunRequest, ev sdk.Events) error {
	var cfg DPOConfig
	if err := describeDPO().DecodeRunConfig(req.Config, req.Seed, &cfg); err != nil {
		return err
	}
	if ds := cfg.Check(); ds.HasErrors() {
		return fmt.Errorf("dpo config: %w", ds.Err())
	}
	p, err := loadPolicyInput(req.Inputs)
	if err != nil {
		return err
	}
	train, val, err := trainAndVal(ctx, req.Inputs, cfg.ValFraction, cfg.Seed)
	if err != nil {
		return err
	}
	res, err := TrainDPO(ctx, cfg, p, train, val, req.OutputDir, ev)
	if res == nil {
		return err
	}
	if p.Adapter != nil {
		dir := filepath.Join(req.OutputDir, AdapterDirName)
		if serr := p.SaveAdapter(dir); serr != nil {
			return serr
		}
		ev.Output("adapter", dir, artifact.KindAdapter)
		return err
	}
	ev.Output("model", res.Dir, artifact.KindCheckpoint)
	return err
}

// TrainDPO aligns p on the train pairs, reporting TRL's metrics on them and
// on val, and writes the checkpoint (with p's chat files) to
// outDir/model. The reference log-probs come from the pairs when a logps
// stage stored them under the same settings, else from p before training.
func TrainDPO(ctx context.Context, cfg DPOConfig, p *Policy, train, val pairSet, outDir string, ev trainer.Events) (*trainer.Result, error) {
	if ds := cfg.Check(); ds.HasErrors() {
		return nil, fmt.Errorf("dpo config: %w", ds.Err())
	}
	tr, err := cfg.Truncation.resolve(p.Model.Config.NPositions)
	if err != nil {
		return nil, fmt.Errorf("dpo config: %w", err)
	}
	key, err := p.refKey(tr)
	if err != nil {
		return nil, err
	}
	encTrain, trainRef, err := encodeWithRef(p, train, tr, key, cfg.BatchSize, "", ev)
	if err != nil {
		return nil, err
	}
	encVal, valRef, err := encodeWithRef(p, val, tr, key, cfg.BatchSize, "val_", ev)
	if err != nil {
		return nil, err
	}
	rows, err := newPairRows(encTrain, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("dpo: %w", err)
	}
	step := &dpoStep{loss: cfg.preferenceLoss(), rows: rows, ref: trainRef}
	h := &hooks{Events: ev, evalEvery: cfg.EvalEvery,
		onLog: func(s int64) { step.stats.report(ev, s, "") }}
	if len(encVal) > 0 {
		h.onEval = func(s int64) {
			if err := evalDPO(p.Model, step.loss, encVal, valRef, cfg.BatchSize, ev, s); err != nil {
				ev.Log(fmt.Sprintf("dpo: held-out evaluation failed: %v", err))
			}
		}
	}
	res, err := trainer.Run(ctx, trainer.Spec{
		Name: "dpo", Config: cfg.Config, Settings: cfg, Model: p.Model, BlockSize: maxLen(encTrain),
		Train: rows, Loss: step, TokenizerJSON: filepath.Join(p.Dir, model.TokenizerFile),
	}, outDir, h)
	if res == nil {
		return nil, err
	}
	h.finalEval(int64(res.Steps))
	if werr := chat.CopyFiles(p.Dir, res.Dir); werr != nil {
		return nil, werr
	}
	return res, err
}

// encodeWithRef encodes set and returns its pairs with their reference
// log-probs (indexed alike): the stored ones, checked against key, or
// computed now.
func encodeWithRef(p *Policy, set pairSet, tr Truncation, key RefKey, batch int, prefix string, ev trainer.Events) ([]EncodedPair, [][2]float64, error) {
	if len(set.Pairs) == 0 {
		return nil, nil, nil
	}
	enc, n, err := EncodePairs(p.Encoder, set.Pairs, tr)
	if err != nil {
		return nil, nil, err
	}
	reportCounts(ev, prefix, n)
	ref := set.Ref
	if ref != nil {
		if d := key.differences(set.Key); len(d) > 0 {
			return nil, nil, fmt.Errorf("the %spairs' reference log-probs were computed with other settings: %s differ; "+
				"give the logps stage the same model, adapter and max_length / max_prompt_length as this stage", prefix, strings.Join(d, ", "))
		}
		ev.Log(fmt.Sprintf("dpo: using the stored reference log-probs of %d %spairs", len(enc), prefix))
	} else if ref, err = referenceLogps(p, enc, len(set.Pairs), batch); err != nil {
		return nil, nil, err
	}
	out := make([][2]float64, len(enc))
	for i, e := range enc {
		out[i] = ref[e.Index]
		if math.IsNaN(out[i][0]) || math.IsNaN(out[i][1]) {
			return nil, nil, fmt.Errorf("%spair %s has no stored reference log-prob; this is a bug in llmflow", prefix, set.Pairs[e.Index].ID)
		}
	}
	return enc, out, nil
}

// evalDPO reports the eval_ metrics of the policy m on held-out pairs.
func evalDPO(m *model.Model, loss PreferenceLoss, pairs []EncodedPair, ref [][2]float64, batch int, ev trainer.Events, step int64) error {
	seqs := make([]Sequence, 0, 2*len(pairs))
	for _, e := range pairs {
		seqs = append(seqs, e.Chosen, e.Rejected)
	}
	lp, err := SequenceLogProbs(m, seqs, batch)
	if err != nil {
		return err
	}
	var st pairStats
	for i := range pairs {
		var pol, r [2]float64
		for k := range 2 {
			j := 2*i + k
			pol[k], r[k] = loss.sequenceLogp(lp.Sum[j], lp.Tokens[j]), loss.sequenceLogp(ref[i][k], lp.Tokens[j])
		}
		l, _ := loss.Eval((pol[0] - pol[1]) - (r[0] - r[1]))
		st.add(loss.Beta, pol, r, l)
	}
	st.report(ev, step, "eval_")
	return nil
}
