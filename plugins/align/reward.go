package align

import (
	"context"
	"fmt"
	"math"
	"path/filepath"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// RewardConfig is the reward stage's configuration.
type RewardConfig struct {
	// TrainableLayers trains only the top blocks, the final LayerNorm and
	// the score head (as peft's partial method); −1 trains everything.
	TrainableLayers int     `cty:"trainable_layers"`
	ValFraction     float64 `cty:"val_fraction"`
	Truncation
	trainer.Config
}

// DefaultRewardConfig is a schedule for small models on a CPU.
func DefaultRewardConfig() RewardConfig {
	tc := trainer.DefaultConfig()
	tc.BatchSize, tc.LR, tc.MinLR, tc.Warmup, tc.MaxSteps = 8, 1e-4, 1e-5, 10, 300
	tc.WeightDecay, tc.EvalEvery = 0, 50
	return RewardConfig{TrainableLayers: -1, ValFraction: 0.1, Config: tc}
}

// Check lists every invalid setting at once.
func (c RewardConfig) Check() sdk.Diagnostics {
	ds := checkPairSettings(c.Truncation, c.ValFraction, c.BatchSize)
	if c.TrainableLayers < -1 {
		ds = append(ds, sdk.Errorf("trainable_layers", "Value out of range",
			"trainable_layers is %d; give the number of top blocks to train, or -1 for all.", c.TrainableLayers))
	}
	return append(ds, c.Config.Check()...)
}

func describeReward() *sdk.Description {
	d := DefaultRewardConfig()
	return &sdk.Description{
		Name: "reward", Version: Version,
		Doc: "Trains a reward model (a scalar score at the last token) on preference pairs with the Bradley-Terry loss.",
		Config: append(append([]sdk.Attribute{
			{Name: "trainable_layers", Type: cty.Number, Default: cty.NumberIntVal(int64(d.TrainableLayers)),
				Doc: "Train only this many top blocks, the final LayerNorm and the score head (-1: the whole model)."},
			{Name: "val_fraction", Type: cty.Number, Default: cty.NumberFloatVal(d.ValFraction),
				Doc: "Without a val input, hold out this share of the pairs, chosen from the seed (0: none)."},
		}, truncationAttributes()...), trainer.Attributes(d.Config)...),
		Inputs: []sdk.Port{
			{Name: "model", Kind: artifact.KindCheckpoint, Doc: "The backbone (usually the sft checkpoint), with its chat template."},
			{Name: "data", Kind: artifact.KindPreference, Doc: "Training pairs."},
			{Name: "val", Kind: artifact.KindPreference, Optional: true, Doc: "Held-out pairs for the val/ metrics."},
		},
		Outputs: []sdk.Port{{Name: "model", Kind: artifact.KindCheckpoint,
			Doc: "The reward model in transformers' GPT2ForSequenceClassification layout (score.weight, num_labels 1, pad_token_id), with the tokenizer and template files."}},
	}
}

// RewardStage is the `reward` stage.
type RewardStage struct{}

// Describe implements sdk.Stage.
func (RewardStage) Describe(context.Context) (*sdk.Description, error) { return describeReward(), nil }

// Validate implements sdk.Stage.
func (RewardStage) Validate(_ context.Context, cfg cty.Value) sdk.Diagnostics {
	return sdk.ValidateConfig[RewardConfig](describeReward(), cfg)
}

// Run implements sdk.Stage. A stop (cancelled ctx) saves and still reports
// the output.
func (RewardStage) Run(ctx context.Context, req *sdk.RunRequest, ev sdk.Events) error {
	var cfg RewardConfig
	if err := describeReward().DecodeRunConfig(req.Config, req.Seed, &cfg); err != nil {
		return err
	}
	if ds := cfg.Check(); ds.HasErrors() {
		return fmt.Errorf("reward config: %w", ds.Err())
	}
	if _, ok := req.Inputs["adapter"]; ok {
		return fmt.Errorf("the reward stage trains a whole model (or its top blocks, trainable_layers); it takes no adapter")
	}
	p, err := loadPolicyInput(req.Inputs)
	if err != nil {
		return err
	}
	train, val, err := trainAndVal(ctx, req.Inputs, cfg.ValFraction, cfg.Seed)
	if err != nil {
		return err
	}
	res, err := TrainReward(ctx, cfg, p, train, val, req.OutputDir, ev)
	if res != nil {
		ev.Output("model", res.Dir, artifact.KindCheckpoint)
	}
	return err
}

// RewardResult is a finished reward run: the trainer's result and the
// held-out pairwise accuracy with its 95% Wilson interval (NaN without
// held-out pairs).
type RewardResult struct {
	*trainer.Result
	ValAccuracy, ValLo, ValHi float64
	ValPairs                  int
}

// TrainReward trains a score head on p's model with the Bradley-Terry loss
// on the train pairs and writes the reward model to outDir/model.
func TrainReward(ctx context.Context, cfg RewardConfig, p *Policy, train, val pairSet, outDir string, ev trainer.Events) (*RewardResult, error) {
	if ds := cfg.Check(); ds.HasErrors() {
		return nil, fmt.Errorf("reward config: %w", ds.Err())
	}
	m := p.Model
	tr, err := cfg.Truncation.resolve(m.Config.NPositions)
	if err != nil {
		return nil, fmt.Errorf("reward config: %w", err)
	}
	encTrain, n, err := EncodePairs(p.Encoder, train.Pairs, tr)
	if err != nil {
		return nil, err
	}
	reportCounts(ev, "", n)
	encVal, vn, err := EncodePairs(p.Encoder, val.Pairs, tr)
	if err != nil {
		return nil, err
	}
	if len(val.Pairs) > 0 {
		reportCounts(ev, "val_", vn)
	}
	if cfg.TrainableLayers >= 0 {
		if err := m.FreezePartial(cfg.TrainableLayers, false); err != nil {
			return nil, fmt.Errorf("reward config: %w", err)
		}
	}
	head, err := m.AttachScore(uint64(cfg.Seed))
	if err != nil {
		return nil, err
	}
	rows, err := newPairRows(encTrain, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("reward: %w", err)
	}
	step := &rewardStep{head: head, rows: rows}
	out := &RewardResult{ValAccuracy: math.NaN(), ValLo: math.NaN(), ValHi: math.NaN()}
	h := &hooks{Events: ev, evalEvery: cfg.EvalEvery,
		onLog: func(s int64) { step.stats.report(ev, s, "train/") }}
	if len(encVal) > 0 {
		h.onEval = func(s int64) {
			st, err := evalReward(m, head, encVal, cfg.BatchSize)
			if err != nil {
				ev.Log(fmt.Sprintf("reward: held-out evaluation failed: %v", err))
				return
			}
			out.ValPairs = st.n
			out.ValAccuracy, out.ValLo, out.ValHi = st.report(ev, s, "val/")
			ev.Log(fmt.Sprintf("step %d: held-out pairwise accuracy %.3f [%.3f, %.3f] over %d pairs", s, out.ValAccuracy, out.ValLo, out.ValHi, out.ValPairs))
		}
	}
	res, err := trainer.Run(ctx, trainer.Spec{
		Name: "reward", Config: cfg.Config, Settings: cfg, Model: m, BlockSize: maxLen(encTrain),
		Train: rows, Loss: step, TokenizerJSON: filepath.Join(p.Dir, model.TokenizerFile),
	}, outDir, h)
	if res == nil {
		return nil, err
	}
	out.Result = res
	h.finalEval(int64(res.Steps))
	// The reward layout replaces the plain checkpoint the trainer saved; the
	// training state beside it still resumes (LoadCheckpoint skips the
	// score, which the attached-state file holds).
	if serr := model.SaveReward(res.Dir, m, head, int(p.IDs.Pad), p.Dir); serr != nil {
		return nil, serr
	}
	return out, err
}

// rewardStep is the trainer Loss of a reward model: the Bradley-Terry loss
// −log σ(r_chosen − r_rejected) of each pair in the micro-batch.
type rewardStep struct {
	head    *model.Head
	rows    *pairRows
	stats   rewardStats
	last    []int
	dOut    []float32
	dHidden []float32
	cut     compactor
}

// Step implements trainer.Loss.
func (r *rewardStep) Step(m *model.Model, b model.Batch, scale float32) (float64, error) {
	if _, err := r.rows.take(b.B / 2); err != nil {
		return 0, err
	}
	b = r.cut.compact(b)
	fb := b
	fb.Targets, fb.Weights = nil, nil // no language-model loss
	fb.HeadOnTargets = true           // nor its logits
	if _, _, err := m.ForwardBatch(fb); err != nil {
		return 0, err
	}
	r.last = lastTokens(b, r.last)
	s := r.head.Forward(r.last)
	if n := b.B * b.T * m.Config.NEmbd; len(r.dHidden) != n {
		r.dHidden, r.dOut = make([]float32, n), make([]float32, b.B)
	}
	clear(r.dHidden)
	var total float64
	for p := 0; p < b.B/2; p++ {
		d := float64(s[2*p]) - float64(s[2*p+1])
		total += softplus(-d)
		r.stats.add(float64(s[2*p]), float64(s[2*p+1]))
		g := (sigmoid(d) - 1) * float64(scale) // ∂(scale·L)/∂r_chosen
		r.dOut[2*p], r.dOut[2*p+1] = float32(g), float32(-g)
	}
	r.head.Backward(r.last, r.dOut, r.dHidden)
	return total, m.BackwardHidden(scale, r.dHidden)
}

// evalReward scores held-out pairs.
func evalReward(m *model.Model, h *model.Head, pairs []EncodedPair, batch int) (*rewardStats, error) {
	seqs := make([][]int32, 0, 2*len(pairs))
	for _, e := range pairs {
		seqs = append(seqs, e.Chosen.IDs, e.Rejected.IDs)
	}
	s, err := model.Scores(m, h, seqs, batch)
	if err != nil {
		return nil, err
	}
	st := &rewardStats{}
	for i := range pairs {
		st.add(float64(s[2*i]), float64(s[2*i+1]))
	}
	return st, nil
}
