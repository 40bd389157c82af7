package align

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// Columns the logps stage adds to a preference dataset, and the schema
// metadata key recording what they were computed with.
const (
	ColRefChosen   = "ref_chosen_logps"
	ColRefRejected = "ref_rejected_logps"
	refKeyMetadata = "llmflow.ref_logps"
)

// RefKey is what reference log-probs depend on besides the pairs: the
// reference model (and the adapter whose base it is), the tokenizer and
// template, and the truncation. A dpo stage uses stored log-probs only
// under the same key.
type RefKey struct {
	Model     string     `json:"model"`     // digest of model.safetensors
	Tokenizer string     `json:"tokenizer"` // digest of tokenizer.json
	Template  string     `json:"template"`  // sha256 of the template's spec
	Trunc     Truncation `json:"truncation"`
}

// refKey is the key of p's reference under tr (already resolved).
func (p *Policy) refKey(tr Truncation) (RefKey, error) {
	md, err := p.ReferenceID()
	if err != nil {
		return RefKey{}, err
	}
	td, err := artifact.FileDigest(filepath.Join(p.Dir, model.TokenizerFile))
	if err != nil {
		return RefKey{}, err
	}
	spec, err := json.Marshal(p.Template.Spec())
	if err != nil {
		return RefKey{}, err
	}
	h := sha256.Sum256(spec)
	return RefKey{Model: md, Tokenizer: td, Template: "sha256:" + hex.EncodeToString(h[:]), Trunc: tr}, nil
}

// differences names the fields in which k and o differ.
func (k RefKey) differences(o RefKey) []string {
	var d []string
	if k.Model != o.Model {
		d = append(d, "the reference model")
	}
	if k.Tokenizer != o.Tokenizer {
		d = append(d, "the tokenizer")
	}
	if k.Template != o.Template {
		d = append(d, "the chat template")
	}
	if k.Trunc != o.Trunc {
		d = append(d, fmt.Sprintf("the truncation (max_length %d, max_prompt_length %d there, %d and %d here)",
			o.Trunc.MaxLength, o.Trunc.MaxPromptLength, k.Trunc.MaxLength, k.Trunc.MaxPromptLength))
	}
	return d
}

// readRefLogps returns the reference log-probs of the dataset in dir and
// their key, or nil when it has no such columns.
func readRefLogps(ctx context.Context, dir string) ([][2]float64, RefKey, error) {
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		return nil, RefKey{}, err
	}
	sc := ds.Schema()
	ci, ri := sc.FieldIndices(ColRefChosen), sc.FieldIndices(ColRefRejected)
	if len(ci) == 0 && len(ri) == 0 {
		return nil, RefKey{}, nil
	}
	if len(ci) != 1 || len(ri) != 1 || sc.Field(ci[0]).Type.ID() != arrow.FLOAT64 || sc.Field(ri[0]).Type.ID() != arrow.FLOAT64 {
		return nil, RefKey{}, fmt.Errorf("%s: reference log-probs need one float64 column each of %s and %s", dir, ColRefChosen, ColRefRejected)
	}
	var key RefKey
	md := sc.Metadata()
	raw, ok := md.GetValue(refKeyMetadata)
	if !ok {
		return nil, RefKey{}, fmt.Errorf("%s: the schema lacks %s metadata saying how the reference log-probs were computed; write them with a logps stage", dir, refKeyMetadata)
	}
	if err := json.Unmarshal([]byte(raw), &key); err != nil {
		return nil, RefKey{}, fmt.Errorf("%s: schema metadata %s: %v", dir, refKeyMetadata, err)
	}
	var out [][2]float64
	err = ds.Scan(ctx, func(rec arrow.RecordBatch) error {
		c, r := rec.Column(ci[0]).(*array.Float64), rec.Column(ri[0]).(*array.Float64)
		for i := 0; i < int(rec.NumRows()); i++ {
			v := [2]float64{math.NaN(), math.NaN()}
			if c.IsValid(i) && r.IsValid(i) {
				v = [2]float64{c.Value(i), r.Value(i)}
			}
			out = append(out, v)
		}
		return nil
	})
	return out, key, err
}

// writeRefLogps writes the dataset in src to dst with every column kept and
// the reference log-probs ref (one per row, NaN for a pair left out by
// truncation) appended, recording key in the schema metadata.
func writeRefLogps(ctx context.Context, src, dst string, ref [][2]float64, key RefKey) error {
	ds, err := artifact.OpenDataset(src)
	if err != nil {
		return err
	}
	kb, err := json.Marshal(key)
	if err != nil {
		return err
	}
	in := ds.Schema()
	var fields []arrow.Field
	for _, f := range in.Fields() {
		if f.Name != ColRefChosen && f.Name != ColRefRejected { // recomputed
			fields = append(fields, f)
		}
	}
	fields = append(fields, arrow.Field{Name: ColRefChosen, Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		arrow.Field{Name: ColRefRejected, Type: arrow.PrimitiveTypes.Float64, Nullable: true})
	md := arrow.NewMetadata([]string{refKeyMetadata}, []string{string(kb)})
	sc := arrow.NewSchema(fields, &md)
	w, err := artifact.NewDatasetWriter(dst, sc)
	if err != nil {
		return err
	}
	row := 0
	err = ds.Scan(ctx, func(rec arrow.RecordBatch) error {
		n := int(rec.NumRows())
		var cols []arrow.Array
		for i, f := range in.Fields() {
			if f.Name != ColRefChosen && f.Name != ColRefRejected {
				cols = append(cols, rec.Column(i))
			}
		}
		for k := range 2 {
			b := array.NewFloat64Builder(memory.DefaultAllocator)
			for i := range n {
				if v := ref[row+i][k]; math.IsNaN(v) {
					b.AppendNull()
				} else {
					b.Append(v)
				}
			}
			a := b.NewArray()
			defer a.Release()
			cols = append(cols, a)
		}
		row += n
		out := array.NewRecordBatch(sc, cols, int64(n))
		defer out.Release()
		return w.Write(out)
	})
	if err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

// referenceLogps computes the reference's summed log-probs of pairs
// (encoded from n input pairs); pairs left out by encoding get NaN.
func referenceLogps(p *Policy, pairs []EncodedPair, n, batch int) ([][2]float64, error) {
	seqs := make([]Sequence, 0, 2*len(pairs))
	for _, e := range pairs {
		seqs = append(seqs, e.Chosen, e.Rejected)
	}
	var lp LogProbs
	err := p.Reference(func() error {
		var err error
		lp, err = SequenceLogProbs(p.Model, seqs, batch)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([][2]float64, n)
	for i := range out {
		out[i] = [2]float64{math.NaN(), math.NaN()}
	}
	for i, e := range pairs {
		out[e.Index] = [2]float64{lp.Sum[2*i], lp.Sum[2*i+1]}
	}
	return out, nil
}

// LogpsStage is the `logps` stage: inputs "model" (+ optional "adapter",
// whose base is then the reference) and "data" (preference pairs); output
// "data": the pairs with the reference's summed log-probs of each answer
// in ref_chosen_logps and ref_rejected_logps, so dpo stages with different
// β reuse them.
type LogpsStage struct{}

// LogpsConfig is the logps stage's configuration.
type LogpsConfig struct {
	Truncation
	BatchSize int `cty:"batch_size"`
}

// Check lists every invalid setting at once.
func (c LogpsConfig) Check() sdk.Diagnostics {
	ds := checkPairSettings(c.Truncation, 0, 2)
	if c.BatchSize <= 0 {
		ds = append(ds, sdk.Errorf("batch_size", "Value out of range", "batch_size is %d; it must be positive.", c.BatchSize))
	}
	return ds
}

func truncationAttributes() []sdk.Attribute {
	return []sdk.Attribute{
		{Name: "max_length", Type: cty.Number, Default: cty.NumberIntVal(0),
			Doc: "Tokens of prompt and answer together (0: the model's context); longer pairs are truncated as TRL does."},
		{Name: "max_prompt_length", Type: cty.Number, Default: cty.NumberIntVal(0),
			Doc: "Prompt tokens kept (its end) when a pair is too long (0: half of max_length)."},
	}
}

func describeLogps() *sdk.Description {
	return &sdk.Description{
		Name: "logps", Version: Version,
		Doc: "Computes the reference model's log-probabilities of each preference pair's answers once, for dpo stages to reuse.",
		Config: append(truncationAttributes(),
			sdk.Attribute{Name: "batch_size", Type: cty.Number, Default: cty.NumberIntVal(16), Doc: "Sequences per forward pass."}),
		Inputs: []sdk.Port{
			{Name: "model", Kind: artifact.KindCheckpoint, Doc: "The reference checkpoint (the policy before alignment), with its chat template."},
			{Name: "adapter", Kind: artifact.KindAdapter, Optional: true, Doc: "A LoRA policy: its base, the model input, is the reference."},
			{Name: "data", Kind: artifact.KindPreference, Doc: "Preference pairs."},
		},
		Outputs: []sdk.Port{{Name: "data", Kind: artifact.KindPreference,
			Doc: "The pairs, every column kept, plus ref_chosen_logps and ref_rejected_logps (float64, null for a pair truncation leaves out)."}},
	}
}

// Describe implements sdk.Stage.
func (LogpsStage) Describe(context.Context) (*sdk.Description, error) { return describeLogps(), nil }

// Validate implements sdk.Stage.
func (LogpsStage) Validate(_ context.Context, cfg cty.Value) sdk.Diagnostics {
	return sdk.ValidateConfig[LogpsConfig](describeLogps(), cfg)
}

// Run implements sdk.Stage.
func (LogpsStage) Run(ctx context.Context, req *sdk.RunRequest, ev sdk.Events) error {
	var cfg LogpsConfig
	if err := describeLogps().DecodeRunConfig(req.Config, req.Seed, &cfg); err != nil {
		return err
	}
	if ds := cfg.Check(); ds.HasErrors() {
		return fmt.Errorf("logps config: %w", ds.Err())
	}
	p, err := loadPolicyInput(req.Inputs)
	if err != nil {
		return err
	}
	data, ok := req.Inputs["data"]
	if !ok {
		return fmt.Errorf("input \"data\" is required")
	}
	set, err := readPairSet(ctx, data.Path)
	if err != nil {
		return err
	}
	tr, err := cfg.Truncation.resolve(p.Model.Config.NPositions)
	if err != nil {
		return fmt.Errorf("logps config: %w", err)
	}
	enc, n, err := EncodePairs(p.Encoder, set.Pairs, tr)
	if err != nil {
		return fmt.Errorf("%s: %w", data.Path, err)
	}
	reportCounts(ev, "", n)
	ref, err := referenceLogps(p, enc, len(set.Pairs), cfg.BatchSize)
	if err != nil {
		return err
	}
	key, err := p.refKey(tr)
	if err != nil {
		return err
	}
	out := filepath.Join(req.OutputDir, "data")
	if err := writeRefLogps(ctx, data.Path, out, ref, key); err != nil {
		return err
	}
	ev.Output("data", out, artifact.KindPreference)
	return nil
}

// loadPolicyInput loads the "model" input with the optional "adapter".
func loadPolicyInput(inputs map[string]sdk.Input) (*Policy, error) {
	mi, ok := inputs["model"]
	if !ok {
		return nil, fmt.Errorf("input \"model\" is required")
	}
	adapter := ""
	if a, ok := inputs["adapter"]; ok {
		adapter = a.Path
	}
	return LoadPolicy(mi.Path, adapter)
}

// reportCounts emits what encoding did to the pairs.
func reportCounts(ev trainer.Events, prefix string, n PairCounts) {
	ev.Metric(0, prefix+"pairs", float64(n.Pairs))
	ev.Metric(0, prefix+"truncated", float64(n.Truncated))
	ev.Metric(0, prefix+"dropped", float64(n.Dropped))
	ev.Log(fmt.Sprintf("%d %spairs encoded; %d truncated, %d dropped (no answer token left, or both answers the same)", n.Pairs, prefix, n.Truncated, n.Dropped))
}
