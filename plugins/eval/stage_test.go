package eval

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/plugins/pretrain"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

type events struct{ metrics map[string]float64 }

func (e *events) Progress(int64, int64, string)          {}
func (e *events) Log(string)                             {}
func (e *events) Output(string, string, string)          {}
func (e *events) Metric(_ int64, name string, v float64) { e.metrics[name] = v }

func TestEvalStage(t *testing.T) {
	tmp := t.TempDir()
	text := []byte(strings.Repeat("the cat sat on the mat. the dog sat on the log. ", 40))
	tc := tokenizer.DefaultConfig()
	tc.VocabSize, tc.SpecialTokens = 300, []string{"<|endoftext|>"}
	tok, err := tokenizer.Train(context.Background(), [][]byte{text}, tc)
	if err != nil {
		t.Fatal(err)
	}
	tokPath := filepath.Join(tmp, "tokenizer.json")
	if err := tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	ids := tok.Encode(text)
	// Train a tiny model on the text.
	cfg := pretrain.DefaultConfig()
	cfg.NLayer, cfg.NHead, cfg.NEmbd, cfg.BlockSize, cfg.BatchSize, cfg.MaxSteps, cfg.EvalEvery = 1, 2, 32, 16, 4, 60, 0
	cfg.Warmup, cfg.LR, cfg.MinLR = 5, 1e-2, 1e-3
	train := &trainer.Data{Examples: [][]int32{}, MaxID: int32(tok.VocabSize() - 1)}
	for off := 0; off+17 <= len(ids); off += 16 {
		train.Examples = append(train.Examples, ids[off:off+17])
		train.DocStarts = append(train.DocStarts, nil)
	}
	res, err := pretrain.Train(context.Background(), cfg, pretrain.Inputs{Train: train, TokenizerJSON: tokPath}, filepath.Join(tmp, "train"), &events{map[string]float64{}})
	if err != nil {
		t.Fatal(err)
	}
	// A tokens dataset to measure on.
	dataDir := filepath.Join(tmp, "data")
	w, err := artifact.NewDatasetWriter(dataDir, artifact.TokensSchema(false, false))
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, artifact.TokensSchema(false, false))
	lb := b.Field(0).(*array.ListBuilder)
	lb.Append(true)
	lb.ValueBuilder().(*array.Int32Builder).AppendValues(ids[:200], nil)
	rec := b.NewRecordBatch()
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ev := &events{map[string]float64{}}
	req := &sdk.RunRequest{
		Config: cty.ObjectVal(map[string]cty.Value{
			"prompts": cty.ListVal([]cty.Value{cty.StringVal("the cat")}), "max_new_tokens": cty.NumberIntVal(8),
			"temperature": cty.NumberFloatVal(0),
		}),
		Inputs:    map[string]sdk.Input{"model": {Path: res.Dir}, "data": {Path: dataDir}},
		OutputDir: filepath.Join(tmp, "out"),
	}
	if err := (Stage{}).Run(context.Background(), req, ev); err != nil {
		t.Fatal(err)
	}
	var rep Report
	raw, err := os.ReadFile(filepath.Join(req.OutputDir, "report", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Loss == nil || *rep.Loss > 2.5 || rep.BPB == nil || len(rep.Samples) != 1 || rep.Samples[0].Completion == "" {
		t.Fatalf("report %s", raw)
	}
	if ev.metrics["perplexity"] <= 1 {
		t.Fatalf("metrics %v", ev.metrics)
	}
	t.Logf("loss %.3f, bpb %.3f, sample %q", *rep.Loss, *rep.BPB, rep.Samples[0].Completion)
}
