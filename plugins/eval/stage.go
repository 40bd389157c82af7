package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/model/peft"
	"github.com/llmflow/llmflow/plugins/align/rewardscore"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// Version is the stage version reported by Describe.
const Version = "0.2.0"

// ReportKind is the artifact kind of the stage's output.
const ReportKind = "report"

// Config is the eval stage's configuration.
type Config struct {
	BatchSize   int      `cty:"batch_size"`
	BlockSize   int      `cty:"block_size"` // 0: the model's n_positions
	MaxBatches  int      `cty:"max_batches"`
	Prompts     []string `cty:"prompts"`
	MaxNew      int      `cty:"max_new_tokens"`
	Temperature float64  `cty:"temperature"`
	TopK        int      `cty:"top_k"`
	TopP        float64  `cty:"top_p"`
	Seed        int64    `cty:"seed"`

	// Prompting, over the "prompts" input.
	Template        string   `cty:"template"`
	Reference       string   `cty:"reference"`
	Scorers         []string `cty:"scorers"`
	AnswerRegex     string   `cty:"answer_regex"`
	Stop            []string `cty:"stop"`
	Greedy          bool     `cty:"greedy"`
	Shots           int      `cty:"shots"`
	ShotSeparator   string   `cty:"shot_separator"`
	TargetDelimiter string   `cty:"target_delimiter"`
	ChoicesField    string   `cty:"choices_field"`
	LabelField      string   `cty:"label_field"`
	ChoiceNormalize bool     `cty:"choice_normalize"`
	MaxExamples     int      `cty:"max_examples"`
	// ChatTemplate formats prompts with the checkpoint's chat template
	// (tokenizer_config.json) through Stage.Chat instead of Template alone.
	ChatTemplate bool `cty:"chat_template"`
}

// Sample is one prompt and the text generated after it.
type Sample struct {
	Prompt     string `json:"prompt"`
	Completion string `json:"completion"`
}

// Report is report.json. Loss figures are absent without a dataset.
type Report struct {
	Loss       *float64 `json:"loss,omitempty"` // nats per token
	Perplexity *float64 `json:"perplexity,omitempty"`
	BPB        *float64 `json:"bits_per_byte,omitempty"`
	Tokens     int64    `json:"tokens"`
	Bytes      int64    `json:"bytes"`
	Samples    []Sample `json:"samples"`
	// Prompting is the summary of scored prompting; per-example results
	// are the Arrow dataset it names.
	Prompting *PromptReport `json:"prompting,omitempty"`
}

// Stage is the `eval` stage: inputs "model" (checkpoint) and at least one
// of "data" (dataset/tokens) and "prompts" (dataset/text, with optional
// "shots_data"), output "report".
type Stage struct {
	// Chat renders prompts for chat_template = true; without it such a
	// config is refused.
	Chat ChatRenderer
}

// Describe implements sdk.Stage.
func (Stage) Describe(context.Context) (*sdk.Description, error) { return describe(), nil }

func describe() *sdk.Description {
	num := func(name string, v float64, doc string) sdk.Attribute {
		return sdk.Attribute{Name: name, Type: cty.Number, Default: cty.NumberFloatVal(v), Doc: doc}
	}
	str := func(name, v, doc string) sdk.Attribute {
		return sdk.Attribute{Name: name, Type: cty.String, Default: cty.StringVal(v), Doc: doc}
	}
	boolean := func(name string, v bool, doc string) sdk.Attribute {
		return sdk.Attribute{Name: name, Type: cty.Bool, Default: cty.BoolVal(v), Doc: doc}
	}
	return &sdk.Description{
		Name: "eval", Version: Version,
		Doc: "Measures loss, perplexity and bits per byte of a checkpoint, scores it by prompting and samples completions.",
		Config: []sdk.Attribute{
			num("batch_size", 8, "Sequences per evaluation batch, and prompts decoded together."),
			num("block_size", 0, "Tokens per sequence (0: the model's context length)."),
			num("max_batches", 0, "Evaluate at most this many batches (0: the whole dataset)."),
			{Name: "prompts", Type: cty.List(cty.String), Default: cty.ListValEmpty(cty.String), Doc: "Prompts to sample completions for."},
			num("max_new_tokens", 100, "Tokens generated per prompt, sampled or scored."),
			num("temperature", 0.8, "Sampling temperature (0: greedy)."),
			num("top_k", 0, "Sample among the k most likely tokens (0: all)."),
			num("top_p", 1, "Nucleus sampling mass (1: off)."),
			{Name: "seed", Type: cty.Number, Doc: "Sampling and shot-selection seed (default: the run seed)."},
			str("template", "{text}", "Prompt for each example of \"prompts\": {field} is that column's value, {{ and }} literal braces."),
			str("reference", "answer", "Column holding the reference answer or response."),
			{Name: "scorers", Type: cty.List(cty.String), Default: cty.ListVal([]cty.Value{cty.StringVal(ScoreExactMatch)}),
				Doc: "Scores of prompting: exact_match, contains (generated), multiple_choice, response_loss (log-probabilities)."},
			str("answer_regex", GSM8KAnswer, "Extracts the answer from reference and generation (first group of the first match; none: the whole text); \"\" compares whole texts."),
			{Name: "stop", Type: cty.List(cty.String), Default: cty.ListVal([]cty.Value{cty.StringVal("\n\n")}), Doc: "Text that ends a scored generation (besides <|endoftext|>)."},
			boolean("greedy", true, "Decode scored generations greedily; false samples with temperature, top_k, top_p and the seed."),
			num("shots", 0, "Worked examples before each prompt, drawn with the seed from \"shots_data\" (or \"prompts\"), never the prompt itself."),
			str("shot_separator", "\n\n", "Text between shots and before the prompt."),
			str("target_delimiter", " ", "Text between a prompt and its answer: in shots, choices and reference responses."),
			str("choices_field", "choices", "Column holding a JSON array of choices, for multiple_choice."),
			str("label_field", "label", "Column holding the correct choice: a 0-based index, its text or a letter."),
			boolean("choice_normalize", false, "Rank choices by mean log-probability per token instead of the sum."),
			num("max_examples", 0, "Evaluate the first this many prompts (0: all)."),
			boolean("chat_template", false, "Format prompts with the checkpoint's chat template (tokenizer_config.json) as user turns."),
		},
		Inputs: []sdk.Port{
			{Name: "model", Kind: artifact.KindCheckpoint, Doc: "Checkpoint to evaluate."},
			{Name: "data", Kind: artifact.KindTokens, Optional: true, NonEmpty: true, Doc: "Tokens to measure loss on; must not be empty."},
			{Name: "prompts", Kind: artifact.KindText, Optional: true, NonEmpty: true, Doc: "Examples to score by prompting; must not be empty."},
			{Name: "shots_data", Kind: artifact.KindText, Optional: true, Doc: "Examples to draw shots from (default: \"prompts\")."},
			{Name: "adapter", Kind: artifact.KindAdapter, Optional: true, Doc: "Adapter of the model (LoRA, merged into it; prefix or bottleneck, attached); its chat files replace the model's."},
			{Name: "reward_model", Kind: artifact.KindCheckpoint, Optional: true, Doc: "Reward model (the reward stage's) that scores every generated answer to \"prompts\", as a user turn and an assistant reply in its chat template."},
		},
		Outputs: []sdk.Port{{Name: "report", Kind: ReportKind, Doc: "report.json with figures and samples."}},
	}
}

// Validate implements sdk.Stage.
func (Stage) Validate(_ context.Context, cfg cty.Value) sdk.Diagnostics {
	if !cfg.IsWhollyKnown() {
		return nil
	}
	c, err := decode(cfg, 0)
	if err != nil {
		return sdk.Diagnostics{sdk.Errorf("", "Invalid eval config", "%s", err)}
	}
	var diags sdk.Diagnostics
	if c.BatchSize < 1 {
		diags = append(diags, sdk.Errorf("batch_size", "Value must be positive", "batch_size is %d.", c.BatchSize))
	}
	if c.BlockSize < 0 || c.MaxBatches < 0 || c.MaxNew < 0 || c.TopK < 0 {
		diags = append(diags, sdk.Errorf("block_size", "Value must not be negative", "block_size, max_batches, max_new_tokens and top_k must be 0 or more."))
	}
	if c.Temperature < 0 || c.TopP < 0 || c.TopP > 1 {
		diags = append(diags, sdk.Errorf("temperature", "Invalid sampling settings", "temperature must be >= 0 and top_p in [0, 1]."))
	}
	return append(diags, validatePrompting(c)...)
}

// validatePrompting checks the prompting attributes.
func validatePrompting(c Config) sdk.Diagnostics {
	var diags sdk.Diagnostics
	if _, err := ParseTemplate(c.Template); err != nil {
		diags = append(diags, sdk.Errorf("template", "Invalid prompt template", "%s.", err))
	}
	if _, err := NewExtractor(c.AnswerRegex); err != nil {
		diags = append(diags, sdk.Errorf("answer_regex", "Invalid regular expression", "answer_regex: %s.", err))
	}
	for _, name := range c.Scorers {
		if !slices.Contains(scorerNames, name) {
			diags = append(diags, sdk.Errorf("scorers", "Unknown scorer", "%q is not one of %s.", name, strings.Join(scorerNames, ", ")))
		}
	}
	if c.Shots < 0 || c.MaxExamples < 0 {
		diags = append(diags, sdk.Errorf("shots", "Value must not be negative", "shots and max_examples must be 0 or more."))
	}
	if c.Reference == "" {
		diags = append(diags, sdk.Errorf("reference", "Missing reference column", "reference names the column holding the reference answers."))
	}
	return diags
}

func decode(cfg cty.Value, seed int64) (Config, error) {
	var c Config
	err := describe().DecodeRunConfig(cfg, seed, &c)
	return c, err
}

// Run implements sdk.Stage.
func (st Stage) Run(ctx context.Context, req *sdk.RunRequest, ev sdk.Events) error {
	c, err := decode(req.Config, req.Seed)
	if err != nil {
		return err
	}
	in, ok := req.Inputs["model"]
	if !ok {
		return fmt.Errorf("eval: input \"model\" is required")
	}
	m, err := model.LoadCheckpoint(in.Path)
	if err != nil {
		return err
	}
	// chatDir holds the chat template prompting reads.
	chatDir := in.Path
	if a, ok := req.Inputs["adapter"]; ok {
		if _, m, err = peft.ApplyTo(m, in.Path, a.Path); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		if fileExists(filepath.Join(a.Path, chat.TokenizerConfigFile)) {
			chatDir = a.Path
		}
	}
	var tok *tokenizer.Tokenizer
	if p := filepath.Join(in.Path, model.TokenizerFile); fileExists(p) {
		if tok, err = tokenizer.Load(p); err != nil {
			return err
		}
	}
	d, hasData := req.Inputs["data"]
	pr, hasPrompts := req.Inputs["prompts"]
	if !hasData && !hasPrompts && len(c.Prompts) == 0 {
		return fmt.Errorf("eval: nothing to evaluate: wire a tokens dataset to \"data\" (loss, perplexity, bits per byte) or a text dataset to \"prompts\" (scored prompting), or list prompts to sample in the config")
	}
	if _, ok := req.Inputs["shots_data"]; ok && !hasPrompts {
		return fmt.Errorf("eval: \"shots_data\" is wired without \"prompts\" to prompt with")
	}
	var rm *rewardscore.Scorer
	if in, ok := req.Inputs["reward_model"]; ok {
		if !hasPrompts {
			return fmt.Errorf("eval: \"reward_model\" is wired without \"prompts\" whose answers it would score")
		}
		if rm, err = rewardscore.Load(in.Path); err != nil {
			return fmt.Errorf("eval: reward_model: %w", err)
		}
	}
	rep := Report{Samples: []Sample{}}
	if hasData {
		if err := measure(ctx, m, tok, d.Path, c, &rep, ev); err != nil {
			return err
		}
	}
	dir := filepath.Join(req.OutputDir, "report")
	// A failed attempt may have left a partial directory: start afresh.
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if hasPrompts {
		if tok == nil {
			return fmt.Errorf("eval: checkpoint %s has no %s to encode prompts", in.Path, model.TokenizerFile)
		}
		var shots string
		if sd, ok := req.Inputs["shots_data"]; ok {
			shots = sd.Path
		}
		if rep.Prompting, err = st.prompt(ctx, m, tok, rm, chatDir, pr.Path, shots, c, filepath.Join(dir, ExamplesDir), ev); err != nil {
			return err
		}
	}
	if len(c.Prompts) > 0 && tok == nil {
		return fmt.Errorf("eval: checkpoint %s has no %s to encode prompts", in.Path, model.TokenizerFile)
	}
	for i, p := range c.Prompts {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s, err := sample(m, tok, p, c, uint64(c.Seed)+uint64(i))
		if err != nil {
			return err
		}
		rep.Samples = append(rep.Samples, s)
		ev.Log(fmt.Sprintf("sample %d: %q -> %q", i, p, s.Completion))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	ev.Output("report", dir, ReportKind)
	return nil
}

func measure(ctx context.Context, m *model.Model, tok *tokenizer.Tokenizer, path string, c Config, rep *Report, ev sdk.Events) error {
	T := c.BlockSize
	if T == 0 || T > m.MaxTokens() {
		T = m.MaxTokens()
	}
	data, err := trainer.LoadData(ctx, path, T)
	if err != nil {
		return err
	}
	if len(data.Examples) == 0 {
		// Figures over no tokens would read as a perfect model.
		return fmt.Errorf("eval: input \"data\" at %s is empty: it has no row of two or more tokens to measure loss on", path)
	}
	if int(data.MaxID) >= m.Config.VocabSize {
		return fmt.Errorf("eval: %s holds token id %d, outside the model's vocabulary of %d", path, data.MaxID, m.Config.VocabSize)
	}
	r, err := trainer.Evaluate(m, tok, data, trainer.EvalOptions{BatchSize: c.BatchSize, BlockSize: T, MaxBatches: c.MaxBatches})
	if err != nil {
		return err
	}
	loss, ppl := r.Loss(), r.Perplexity()
	rep.Loss, rep.Perplexity = &loss, &ppl
	rep.Tokens, rep.Bytes = r.Targets, r.Bytes
	ev.Metric(0, "eval_loss", loss)
	ev.Metric(0, "perplexity", ppl)
	if bpb := r.BPB(); !math.IsNaN(bpb) {
		rep.BPB = &bpb
		ev.Metric(0, "bits_per_byte", bpb)
	}
	return nil
}

func sample(m *model.Model, tok *tokenizer.Tokenizer, prompt string, c Config, seed uint64) (Sample, error) {
	stop := eosID(tok)
	s := &model.Sampler{Temperature: c.Temperature, TopK: c.TopK, TopP: c.TopP, Vocab: tok.VocabSize(), RNG: model.NewRNG(seed)}
	ids, err := m.Generate(tok.EncodeWithSpecial([]byte(prompt)), c.MaxNew, s, stop)
	if err != nil {
		return Sample{}, err
	}
	if len(ids) > 0 && ids[len(ids)-1] == stop {
		ids = ids[:len(ids)-1]
	}
	text, err := tok.Decode(ids)
	return Sample{Prompt: prompt, Completion: string(text)}, err
}

// eosID is the id of <|endoftext|>, which ends a generation, or -1.
func eosID(tok *tokenizer.Tokenizer) int32 {
	if id, ok := tok.SpecialID("<|endoftext|>"); ok {
		return id
	}
	return -1
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
