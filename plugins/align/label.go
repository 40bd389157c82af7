package align

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/preference"
	"github.com/llmflow/llmflow/plugins/eval"
	"github.com/llmflow/llmflow/plugins/sdk"
)

// LabelConfig is the label stage's configuration.
type LabelConfig struct {
	K            int     `cty:"k"`
	Temperature  float64 `cty:"temperature"`
	TopK         int     `cty:"top_k"`
	MaxNewTokens int     `cty:"max_new_tokens"`
	MinMargin    float64 `cty:"min_margin"`
	MaxPrompts   int     `cty:"max_prompts"`
	BatchSize    int     `cty:"batch_size"`
	// The judge's prompt holds {prompt} and {response} once each; its
	// score is log p(JudgeYes) − log p(JudgeNo) after it.
	JudgeTemplate string `cty:"judge_template"`
	JudgeYes      string `cty:"judge_yes"`
	JudgeNo       string `cty:"judge_no"`
	Seed          int64  `cty:"seed"`
}

// DefaultJudgeTemplate asks a yes/no question whose answer the judge's
// next token gives.
const DefaultJudgeTemplate = "Here is a request and a reply.\n\nRequest: {prompt}\n\nReply: {response}\n\nIs the reply helpful, honest and harmless? Answer Yes or No."

// DefaultLabelConfig samples four answers a prompt.
func DefaultLabelConfig() LabelConfig {
	return LabelConfig{K: 4, Temperature: 1, TopK: 50, MaxNewTokens: 64, BatchSize: 8,
		JudgeTemplate: DefaultJudgeTemplate, JudgeYes: " Yes", JudgeNo: " No"}
}

// Check lists every invalid setting at once.
func (c LabelConfig) Check() sdk.Diagnostics {
	var ds sdk.Diagnostics
	if c.K < 2 {
		ds = append(ds, sdk.Errorf("k", "Too few samples", "k is %d; a pair needs at least 2 answers a prompt.", c.K))
	}
	if c.Temperature <= 0 || math.IsNaN(c.Temperature) {
		ds = append(ds, sdk.Errorf("temperature", "Value out of range", "temperature is %g; sampling k different answers needs a temperature above 0.", c.Temperature))
	}
	if c.TopK < 0 || c.MaxPrompts < 0 || c.MinMargin < 0 || math.IsNaN(c.MinMargin) {
		ds = append(ds, sdk.Errorf("top_k", "Value must not be negative", "top_k, max_prompts and min_margin must be 0 or more."))
	}
	if c.MaxNewTokens < 1 || c.BatchSize < 1 {
		ds = append(ds, sdk.Errorf("max_new_tokens", "Value out of range", "max_new_tokens and batch_size must be at least 1."))
	}
	if err := checkJudgeTemplate(c.JudgeTemplate); err != nil {
		ds = append(ds, sdk.Errorf("judge_template", "Invalid judge template", "%v", err))
	}
	if c.JudgeYes == "" || c.JudgeNo == "" || c.JudgeYes == c.JudgeNo {
		ds = append(ds, sdk.Errorf("judge_yes", "Invalid verdicts", "judge_yes (%q) and judge_no (%q) must be two different, non-empty texts.", c.JudgeYes, c.JudgeNo))
	}
	return ds
}

func describeLabel() *sdk.Description {
	d := DefaultLabelConfig()
	num := func(name string, v float64, doc string) sdk.Attribute {
		return sdk.Attribute{Name: name, Type: cty.Number, Default: cty.NumberFloatVal(v), Doc: doc}
	}
	str := func(name, v, doc string) sdk.Attribute {
		return sdk.Attribute{Name: name, Type: cty.String, Default: cty.StringVal(v), Doc: doc}
	}
	return &sdk.Description{
		Name: "label", Version: Version,
		Doc: "Samples k answers a prompt from a policy, scores them with a reward model or a judge, and writes best-vs-worst preference pairs (RLAIF).",
		Config: []sdk.Attribute{
			num("k", float64(d.K), "Answers sampled a prompt."),
			num("temperature", d.Temperature, "Sampling temperature (above 0)."),
			num("top_k", float64(d.TopK), "Sample among the k most likely tokens (0: all)."),
			num("max_new_tokens", float64(d.MaxNewTokens), "Tokens an answer has at most; an answer also ends at the end of its turn."),
			num("min_margin", d.MinMargin, "Keep a prompt's pair only when the best answer's score exceeds the worst's by at least this."),
			num("max_prompts", float64(d.MaxPrompts), "Use only the first this many distinct prompts (0: all)."),
			num("batch_size", float64(d.BatchSize), "Sequences decoded or scored together."),
			str("judge_template", d.JudgeTemplate, "With a judge: its user turn, holding {prompt} and {response} once each."),
			str("judge_yes", d.JudgeYes, "With a judge: the verdict text whose log-probability counts for the answer."),
			str("judge_no", d.JudgeNo, "With a judge: the verdict text whose log-probability counts against it."),
			{Name: "seed", Type: cty.Number, Doc: "Seed of the sampling (default: the run seed)."},
		},
		Inputs: []sdk.Port{
			{Name: "model", Kind: artifact.KindCheckpoint, Doc: "The policy that answers (with its chat template)."},
			{Name: "adapter", Kind: artifact.KindAdapter, Optional: true, Doc: "A LoRA adapter on the model: the policy is the model with it."},
			{Name: "prompts", NonEmpty: true, Doc: "An instruction or preference dataset whose prompt conversations are answered; a preference dataset's own labels are scored for the agreement metric."},
			{Name: "reward_model", Kind: artifact.KindCheckpoint, Optional: true, Doc: "A reward model (a reward stage's output) that scores answers; give it or judge."},
			{Name: "judge", Kind: artifact.KindCheckpoint, Optional: true, Doc: "A chat checkpoint prompted through judge_template that scores answers; give it or reward_model."},
		},
		Outputs: []sdk.Port{{Name: "data", Kind: artifact.KindPreference, Doc: "For each prompt, its best answer over its worst."}},
	}
}

// LabelStage is the `label` stage.
type LabelStage struct{}

// Describe implements sdk.Stage.
func (LabelStage) Describe(context.Context) (*sdk.Description, error) { return describeLabel(), nil }

// Validate implements sdk.Stage.
func (LabelStage) Validate(_ context.Context, cfg cty.Value) sdk.Diagnostics {
	return sdk.ValidateConfig[LabelConfig](describeLabel(), cfg)
}

// Run implements sdk.Stage.
func (LabelStage) Run(ctx context.Context, req *sdk.RunRequest, ev sdk.Events) error {
	var cfg LabelConfig
	if err := describeLabel().DecodeRunConfig(req.Config, req.Seed, &cfg); err != nil {
		return err
	}
	if ds := cfg.Check(); ds.HasErrors() {
		return fmt.Errorf("label config: %w", ds.Err())
	}
	rm, hasRM := req.Inputs["reward_model"]
	judge, hasJudge := req.Inputs["judge"]
	if hasRM == hasJudge {
		return fmt.Errorf("the label stage scores answers with reward_model or with judge: give exactly one")
	}
	prompts, err := readLabelPrompts(ctx, req.Inputs["prompts"])
	if err != nil {
		return err
	}
	p, err := loadPolicyInput(req.Inputs)
	if err != nil {
		return err
	}
	var sc scorer
	if hasRM {
		sc, err = loadRewardScorer(rm.Path)
	} else {
		sc, err = loadJudgeScorer(judge.Path, cfg)
	}
	if err != nil {
		return err
	}
	// A failed attempt's partial dataset is not resumed: start afresh.
	out := filepath.Join(req.OutputDir, "data")
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	if _, err := Label(ctx, cfg, p, sc, prompts, out, ev); err != nil {
		return err
	}
	ev.Output("data", out, artifact.KindPreference)
	return nil
}

// LabelResult is what Label wrote and measured.
type LabelResult struct {
	Prompts, Kept, Dropped int
	// MeanSpread is the mean over prompts with a non-empty answer of best −
	// worst score.
	MeanSpread float64
	// Agreement is the share of human-labelled pairs whose chosen answer
	// the scorer scores higher, with its 95% Wilson interval; NaN without
	// such pairs.
	Agreement, AgreementLo, AgreementHi float64
	HumanPairs                          int
}

// Label samples cfg.K answers to each prompt from p, scores them with sc
// and writes, for each prompt whose best answer beats its worst by at
// least cfg.MinMargin, that pair into a preference dataset in out. Every
// answer's sampler is seeded from cfg.Seed and its position, and scores do
// not depend on the batch, so the output depends on neither batch_size nor
// the thread count.
func Label(ctx context.Context, cfg LabelConfig, p *Policy, sc scorer, prompts labelPrompts, out string, ev sdk.Events) (*LabelResult, error) {
	convs := prompts.Convs
	if cfg.MaxPrompts > 0 && len(convs) > cfg.MaxPrompts {
		convs = convs[:cfg.MaxPrompts]
	}
	answers, err := sampleAnswers(ctx, cfg, p, convs, ev)
	if err != nil {
		return nil, err
	}
	var items []scoreItem
	for i, c := range convs {
		for _, a := range answers[i] {
			items = append(items, scoreItem{Prompt: c, Answer: a})
		}
	}
	scores, err := sc.Score(items, cfg.BatchSize)
	if err != nil {
		return nil, err
	}
	w, err := preference.NewWriter(out)
	if err != nil {
		return nil, err
	}
	res := &LabelResult{Prompts: len(convs)}
	var spread float64
	answered := 0
	for i, c := range convs {
		s := scores[i*cfg.K : (i+1)*cfg.K]
		best, worst := extremes(s, answers[i])
		if best < 0 {
			res.Dropped++
			continue
		}
		spread += s[best] - s[worst]
		answered++
		if s[best]-s[worst] < cfg.MinMargin || answers[i][best] == answers[i][worst] {
			res.Dropped++
			continue
		}
		pair := preference.Pair{ID: fmt.Sprintf("label-%d", i), Prompt: c, Chosen: answers[i][best], Rejected: answers[i][worst]}
		if err := w.Append(pair); err != nil {
			w.Abort()
			return nil, err
		}
		res.Kept++
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if answered > 0 {
		res.MeanSpread = spread / float64(answered)
	}
	if err := agreement(res, sc, prompts.Human, cfg.BatchSize); err != nil {
		return nil, err
	}
	res.report(ev)
	return res, nil
}

// extremes returns the indexes of the highest and lowest score among the
// non-empty answers, the first of equals; -1 without a non-empty answer.
func extremes(s []float64, answers []string) (best, worst int) {
	best, worst = -1, -1
	for i, v := range s {
		if answers[i] == "" {
			continue
		}
		if best < 0 || v > s[best] {
			best = i
		}
		if worst < 0 || v < s[worst] {
			worst = i
		}
	}
	return best, worst
}

// agreement scores the human-labelled pairs' answers and counts the pairs
// whose chosen answer scores strictly higher.
func agreement(res *LabelResult, sc scorer, human []preference.Pair, batch int) error {
	res.Agreement, res.AgreementLo, res.AgreementHi = math.NaN(), math.NaN(), math.NaN()
	if len(human) == 0 {
		return nil
	}
	items := make([]scoreItem, 0, 2*len(human))
	for _, h := range human {
		items = append(items, scoreItem{Prompt: h.Prompt, Answer: h.Chosen}, scoreItem{Prompt: h.Prompt, Answer: h.Rejected})
	}
	s, err := sc.Score(items, batch)
	if err != nil {
		return err
	}
	hits := 0
	for i := range human {
		if s[2*i] > s[2*i+1] {
			hits++
		}
	}
	res.HumanPairs = len(human)
	res.Agreement = float64(hits) / float64(len(human))
	res.AgreementLo, res.AgreementHi = eval.Wilson(hits, len(human))
	return nil
}

func (r *LabelResult) report(ev sdk.Events) {
	ev.Metric(0, "prompts", float64(r.Prompts))
	ev.Metric(0, "pairs_kept", float64(r.Kept))
	ev.Metric(0, "pairs_dropped", float64(r.Dropped))
	ev.Metric(0, "mean_score_spread", r.MeanSpread)
	msg := fmt.Sprintf("%d prompts: %d pairs kept, %d dropped (margin below min_margin, or fewer than two different non-empty answers); mean best-worst spread %.4g",
		r.Prompts, r.Kept, r.Dropped, r.MeanSpread)
	if r.HumanPairs > 0 {
		ev.Metric(0, "agreement", r.Agreement)
		ev.Metric(0, "agreement_lo", r.AgreementLo)
		ev.Metric(0, "agreement_hi", r.AgreementHi)
		ev.Metric(0, "human_pairs", float64(r.HumanPairs))
		msg += fmt.Sprintf("; agreement with the %d human labels %.3f (95%% %.3f–%.3f)", r.HumanPairs, r.Agreement, r.AgreementLo, r.AgreementHi)
	}
	ev.Log(msg)
}
