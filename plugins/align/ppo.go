package align

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// PPOVersion is the ppo stage's version reported by Describe.
const PPOVersion = "0.1.0"

// ReportKind is the kind of the report output: a directory of JSON files.
const ReportKind = "report"

// PPO is the `ppo` stage: reinforcement learning of a chat policy against a
// reward model with a KL penalty toward the input model (TRL's PPOTrainer).
type PPO struct{}

func describePPO() *sdk.Description {
	return &sdk.Description{
		Name:    "ppo",
		Version: PPOVersion,
		Doc:     "Trains a chat policy with PPO against a reward model, with a KL penalty toward the input model.",
		Config:  ppoAttributes(DefaultPPOConfig()),
		Inputs: []sdk.Port{
			{Name: "model", Kind: artifact.KindCheckpoint, Doc: "The policy to train (an sft checkpoint with its chat template); also the frozen reference."},
			{Name: "adapter", Kind: artifact.KindAdapter, Optional: true,
				Doc: "A LoRA adapter on the model: it is trained instead, and the model without it is the reference."},
			{Name: "reward_model", Kind: artifact.KindCheckpoint, Doc: "A reward model (GPT2ForSequenceClassification layout) with the policy's tokenizer."},
			// No kind: an instruction or a preference dataset (readPrompts).
			{Name: "prompts", Doc: "Prompts to answer: an instruction dataset's conversations up to their last user turn, or a preference dataset's prompts."},
			{Name: "val_prompts", Optional: true, Doc: "Held-out prompts (the same kinds), answered and scored before and after training."},
		},
		Outputs: []sdk.Port{
			{Name: "model", Kind: artifact.KindCheckpoint, Optional: true, Doc: "The policy (without an adapter input), with value_head.safetensors (v_head.summary) and the chat files."},
			{Name: "adapter", Kind: artifact.KindAdapter, Optional: true, Doc: "The trained LoRA adapter (with an adapter input), with value_head.safetensors."},
			{Name: "report", Kind: ReportKind, Doc: "rollouts.jsonl (a sample of rollouts per logging step: prompt, response, score, kl) and summary.json."},
		},
	}
}

// Describe implements sdk.Stage.
func (PPO) Describe(context.Context) (*sdk.Description, error) { return describePPO(), nil }

// Validate implements sdk.Stage.
func (PPO) Validate(_ context.Context, cfg cty.Value) sdk.Diagnostics {
	return sdk.ValidateConfig[PPOConfig](describePPO(), cfg)
}

// Run implements sdk.Stage. A stop (cancelled ctx) saves the state at the
// last finished PPO step, so the next run continues from it.
func (PPO) Run(ctx context.Context, req *sdk.RunRequest, ev sdk.Events) error {
	var cfg PPOConfig
	if err := describePPO().DecodeRunConfig(req.Config, req.Seed, &cfg); err != nil {
		return err
	}
	res, err := TrainPPO(ctx, cfg, req.Inputs, req.OutputDir, ev)
	if err != nil {
		return err
	}
	if res.AdapterDir != "" {
		ev.Output("adapter", res.AdapterDir, artifact.KindAdapter)
	} else {
		ev.Output("model", res.ModelDir, artifact.KindCheckpoint)
	}
	ev.Output("report", res.ReportDir, ReportKind)
	return nil
}

// PPOResult says where a finished run wrote its outputs and what the
// held-out prompts scored.
type PPOResult struct {
	// ModelDir holds the policy checkpoint and the saved state; AdapterDir,
	// set when the policy is a LoRA adapter, the trained adapter.
	ModelDir, AdapterDir, ReportDir string
	Before, After                   *heldOut
}

// summary is report/summary.json.
type summary struct {
	Steps  int      `json:"steps"`
	KLCoef float64  `json:"kl_coef"`
	Before *heldOut `json:"before,omitempty"`
	After  *heldOut `json:"after,omitempty"`
}

// TrainPPO runs PPO on the inputs (model, reward_model, prompts and
// optionally val_prompts) and writes outDir/model and outDir/report. A
// state saved in outDir/model by an interrupted run is resumed.
func TrainPPO(ctx context.Context, cfg PPOConfig, inputs map[string]sdk.Input, outDir string, ev trainer.Events) (*PPOResult, error) {
	p, err := preparePPO(ctx, cfg, inputs, ev)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(outDir, trainer.ModelDirName)
	if _, err := os.Stat(filepath.Join(dir, model.StateMetaFile)); err == nil {
		if err := p.restore(dir); err != nil {
			return nil, err
		}
		ev.Log(fmt.Sprintf("ppo: resuming from the state saved after step %d", p.step))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// The policy keeps its tokenizer and chat files.
	sideFiles := func(d string) error { return chat.CopyFiles(p.pol.Dir, d) }
	res, err := p.run(ctx, dir, filepath.Join(outDir, "report"), sideFiles, ev)
	if err != nil || p.pol.Adapter == nil {
		return res, err
	}
	res.AdapterDir = filepath.Join(outDir, AdapterDirName)
	if err := p.pol.SaveAdapter(res.AdapterDir); err != nil {
		return nil, err
	}
	return res, saveValueHead(res.AdapterDir, p.value)
}

// preparePPO checks cfg, loads the models and tokenizes the prompts of
// the inputs.
func preparePPO(ctx context.Context, cfg PPOConfig, inputs map[string]sdk.Input, ev trainer.Events) (*ppo, error) {
	if ds := cfg.Check(); ds.HasErrors() {
		return nil, fmt.Errorf("ppo config: %w", ds.Err())
	}
	for _, name := range []string{"model", "reward_model", "prompts"} {
		if _, ok := inputs[name]; !ok {
			return nil, fmt.Errorf("ppo: input %q is required", name)
		}
	}
	pol, err := loadPolicyInput(inputs)
	if err != nil {
		return nil, fmt.Errorf("ppo: %w", err)
	}
	ms, err := loadPPOModels(pol, inputs["reward_model"].Path, cfg.Seed)
	if err != nil {
		return nil, err
	}
	n := pol.Model.Config.NPositions
	prompts, err := promptIDs(ctx, inputs["prompts"], pol.Encoder, n, cfg.MaxNewTokens, ev)
	if err != nil {
		return nil, err
	}
	if len(prompts) == 0 {
		return nil, fmt.Errorf("ppo: no prompt of %s fits the context of %d positions with max_new_tokens %d", inputs["prompts"].Path, n, cfg.MaxNewTokens)
	}
	var val [][]int32
	if in, ok := inputs["val_prompts"]; ok {
		if val, err = promptIDs(ctx, in, pol.Encoder, n, cfg.MaxNewTokens, ev); err != nil {
			return nil, err
		}
	}
	return newPPO(cfg, ms, prompts, val)
}

// run evaluates the held-out prompts, takes the PPO steps left, saving as
// configured, and evaluates again.
func (p *ppo) run(ctx context.Context, dir, reportDir string, sideFiles func(string) error, ev trainer.Events) (*PPOResult, error) {
	c := p.cfg
	if p.step == 0 && p.before == nil {
		var err error
		if p.before, err = p.evalHeldOut(); err != nil {
			return nil, err
		}
		reportHeldOut(ev, 0, "before", p.before)
	}
	for p.step < c.Steps {
		if ctx.Err() != nil {
			if err := p.save(dir, sideFiles); err != nil {
				return nil, err
			}
			return nil, ctx.Err()
		}
		st, rs, err := p.runStep(ctx)
		if err != nil {
			// A step cut short is not saved: the last saved state stands.
			return nil, err
		}
		step := int64(p.step)
		if c.LogEvery > 0 && p.step%c.LogEvery == 0 {
			reportStep(ev, step, st)
			p.addReportRows(rs)
		}
		ev.Progress(step, int64(c.Steps), "steps")
		if c.SaveEvery > 0 && p.step%c.SaveEvery == 0 && p.step < c.Steps {
			if err := p.save(dir, sideFiles); err != nil {
				return nil, err
			}
		}
	}
	after, err := p.evalHeldOut()
	if err != nil {
		return nil, err
	}
	reportHeldOut(ev, int64(p.step), "after", after)
	if p.before != nil && after != nil && p.before.ScoreStd > 0 {
		ev.Metric(int64(p.step), "eval/score_gain_std", (after.ScoreMean-p.before.ScoreMean)/p.before.ScoreStd)
	}
	if err := p.save(dir, sideFiles); err != nil {
		return nil, err
	}
	if err := p.writeReport(reportDir, after); err != nil {
		return nil, err
	}
	return &PPOResult{ModelDir: dir, ReportDir: reportDir, Before: p.before, After: after}, nil
}

// addReportRows keeps the first report_samples rollouts of a step (the
// batch is a seeded shuffle of the prompts, so they are a sample).
func (p *ppo) addReportRows(rs []*rollout) {
	for _, r := range rs[:min(p.cfg.ReportSamples, len(rs))] {
		prompt, _ := p.tok.Decode(r.prompt)
		resp, _ := p.tok.Decode(r.response)
		// A sampled response may cut a character's bytes: keep the text valid
		// so the report reads back as it was written.
		p.report = append(p.report, reportRow{Step: p.step, Prompt: strings.ToValidUTF8(string(prompt), "\uFFFD"),
			Response: strings.ToValidUTF8(string(resp), "\uFFFD"), Score: r.score, KL: r.kl()})
	}
}

func (p *ppo) writeReport(dir string, after *heldOut) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeReportRows(filepath.Join(dir, "rollouts.jsonl"), p.report); err != nil {
		return err
	}
	b, err := json.MarshalIndent(summary{Steps: p.step, KLCoef: p.kl.Coef, Before: p.before, After: after}, "", "  ")
	if err != nil {
		return err
	}
	return artifact.WriteFileAtomic(filepath.Join(dir, "summary.json"), append(bytes.TrimSpace(b), '\n'))
}

func reportHeldOut(ev trainer.Events, step int64, when string, h *heldOut) {
	if h == nil {
		return
	}
	ev.Metric(step, "eval/score_mean_"+when, h.ScoreMean)
	ev.Metric(step, "eval/score_std_"+when, h.ScoreStd)
	ev.Metric(step, "eval/kl_"+when, h.KL)
	ev.Log(fmt.Sprintf("ppo held-out prompts %s: score %.4f ± %.4f (std, n=%d), kl %.4f", when, h.ScoreMean, h.ScoreStd, h.N, h.KL))
}

// loadPPOModels adds to the policy a value head drawn from seed, and
// loads the reference (without an adapter, a second copy of the checkpoint:
// the policy's own weights train) and the reward model, which must share
// the policy's tokenizer.
func loadPPOModels(pol *Policy, rewardDir string, seed int64) (ppoModels, error) {
	ms := ppoModels{pol: pol, policy: pol.Model}
	var err error
	if pol.Adapter == nil {
		if ms.ref, err = model.LoadCheckpoint(pol.Dir); err != nil {
			return ms, err
		}
	}
	// TRL's value head is a Linear layer; a small normal start keeps the
	// first values near 0.
	if ms.value, err = ms.policy.AttachHead(ValueHead, true, 0.02, streamSeed(seed, streamValueHead)); err != nil {
		return ms, err
	}
	if ms.reward, ms.score, _, err = model.LoadReward(rewardDir); err != nil {
		return ms, err
	}
	if err := sameTokenizer(pol.Dir, rewardDir); err != nil {
		return ms, err
	}
	if v := pol.Tokenizer.VocabSize(); ms.reward.Config.VocabSize < v {
		return ms, fmt.Errorf("ppo: the reward model's vocabulary (%d) is smaller than the policy's tokenizer (%d); train the reward model from the policy's checkpoint", ms.reward.Config.VocabSize, v)
	}
	return ms, nil
}

// sameTokenizer refuses a reward model whose tokenizer.json differs from the
// policy's: it would read the policy's token ids as other text.
func sameTokenizer(modelDir, rewardDir string) error {
	a, err := os.ReadFile(filepath.Join(modelDir, model.TokenizerFile))
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(rewardDir, model.TokenizerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !bytes.Equal(a, b) {
		return fmt.Errorf("ppo: %s differs from the policy's %s; the reward model must share the policy's tokenizer (train it from the same checkpoint)",
			filepath.Join(rewardDir, model.TokenizerFile), filepath.Join(modelDir, model.TokenizerFile))
	}
	return nil
}

// promptIDs reads and tokenizes a prompts input, leaving out those too long
// for the context.
func promptIDs(ctx context.Context, in sdk.Input, enc *chat.Encoder, n, maxNew int, ev trainer.Events) ([][]int32, error) {
	convs, err := readPrompts(ctx, in)
	if err != nil {
		return nil, err
	}
	ids, _, err := encodePrompts(enc, convs, n, maxNew)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Path, err)
	}
	if left := len(convs) - len(ids); left > 0 {
		ev.Log(fmt.Sprintf("ppo: left out %d of %d prompts of %s: too long for %d new tokens in a context of %d", left, len(convs), in.Path, maxNew, n))
	}
	return ids, nil
}
