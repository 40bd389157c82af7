package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// Version is the stage version reported by Describe.
const Version = "0.1.0"

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
}

// Stage is the `eval` stage: inputs "model" (checkpoint) and optional "data"
// (dataset/tokens), output "report".
type Stage struct{}

// Describe implements sdk.Stage.
func (Stage) Describe(context.Context) (*sdk.Description, error) { return describe(), nil }

func describe() *sdk.Description {
	num := func(name string, v float64, doc string) sdk.Attribute {
		return sdk.Attribute{Name: name, Type: cty.Number, Default: cty.NumberFloatVal(v), Doc: doc}
	}
	return &sdk.Description{
		Name: "eval", Version: Version,
		Doc: "Measures loss, perplexity and bits per byte of a checkpoint and samples completions.",
		Config: []sdk.Attribute{
			num("batch_size", 8, "Sequences per evaluation batch."),
			num("block_size", 0, "Tokens per sequence (0: the model's context length)."),
			num("max_batches", 0, "Evaluate at most this many batches (0: the whole dataset)."),
			{Name: "prompts", Type: cty.List(cty.String), Default: cty.ListValEmpty(cty.String), Doc: "Prompts to sample completions for."},
			num("max_new_tokens", 100, "Tokens generated per prompt."),
			num("temperature", 0.8, "Sampling temperature (0: greedy)."),
			num("top_k", 0, "Sample among the k most likely tokens (0: all)."),
			num("top_p", 1, "Nucleus sampling mass (1: off)."),
			{Name: "seed", Type: cty.Number, Doc: "Sampling seed (default: the run seed)."},
		},
		Inputs: []sdk.Port{
			{Name: "model", Kind: artifact.KindCheckpoint, Doc: "Checkpoint to evaluate."},
			{Name: "data", Kind: artifact.KindTokens, Doc: "Tokens to measure loss on; must not be empty."},
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
	return diags
}

func decode(cfg cty.Value, seed int64) (Config, error) {
	var c Config
	err := describe().DecodeRunConfig(cfg, seed, &c)
	return c, err
}

// Run implements sdk.Stage.
func (Stage) Run(ctx context.Context, req *sdk.RunRequest, ev sdk.Events) error {
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
	var tok *tokenizer.Tokenizer
	if p := filepath.Join(in.Path, model.TokenizerFile); fileExists(p) {
		if tok, err = tokenizer.Load(p); err != nil {
			return err
		}
	}
	d, ok := req.Inputs["data"]
	if !ok {
		return fmt.Errorf("eval: input \"data\" is required")
	}
	rep := Report{Samples: []Sample{}}
	if err := measure(ctx, m, tok, d.Path, c, &rep, ev); err != nil {
		return err
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
	dir := filepath.Join(req.OutputDir, "report")
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
	if T == 0 || T > m.Config.NPositions {
		T = m.Config.NPositions
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
	stop := int32(-1)
	if id, ok := tok.SpecialID("<|endoftext|>"); ok {
		stop = id
	}
	s := &model.Sampler{Temperature: c.Temperature, TopK: c.TopK, TopP: c.TopP, RNG: model.NewRNG(seed)}
	ids, err := m.Generate(tok.Encode([]byte(prompt)), c.MaxNew, s, stop)
	if err != nil {
		return Sample{}, err
	}
	if len(ids) > 0 && ids[len(ids)-1] == stop {
		ids = ids[:len(ids)-1]
	}
	text, err := tok.Decode(ids)
	return Sample{Prompt: prompt, Completion: string(text)}, err
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
