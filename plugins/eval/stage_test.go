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

// tinyModel trains a small model on repeated text and returns its
// checkpoint directory and the token ids of the text.
func tinyModel(t *testing.T, tmp string) (string, []int32) {
	t.Helper()
	return trainTiny(t, tmp, strings.Repeat("the cat sat on the mat. the dog sat on the log. ", 40), 1, 60)
}

// trainTiny trains a model of layers blocks for steps on text.
func trainTiny(t *testing.T, tmp, corpus string, layers, steps int) (string, []int32) {
	t.Helper()
	text := []byte(corpus)
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
	cfg := pretrain.DefaultConfig()
	cfg.NLayer, cfg.NHead, cfg.NEmbd, cfg.BlockSize, cfg.BatchSize, cfg.MaxSteps, cfg.EvalEvery = layers, 2, 32, 16, 4, steps, 0
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
	return res.Dir, ids
}

// writeTokens writes rows as a tokens dataset in dir.
func writeTokens(t *testing.T, dir string, rows ...[]int32) {
	t.Helper()
	w, err := artifact.NewDatasetWriter(dir, artifact.TokensSchema(false, false))
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, artifact.TokensSchema(false, false))
	lb := b.Field(0).(*array.ListBuilder)
	for _, r := range rows {
		lb.Append(true)
		lb.ValueBuilder().(*array.Int32Builder).AppendValues(r, nil)
	}
	if err := w.Write(b.NewRecordBatch()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func evalRequest(modelDir, dataDir, outDir string) *sdk.RunRequest {
	return &sdk.RunRequest{
		Config: cty.ObjectVal(map[string]cty.Value{
			"prompts": cty.ListVal([]cty.Value{cty.StringVal("the cat")}), "max_new_tokens": cty.NumberIntVal(8),
			"temperature": cty.NumberFloatVal(0),
		}),
		Inputs:    map[string]sdk.Input{"model": {Path: modelDir}, "data": {Path: dataDir}},
		OutputDir: outDir,
	}
}

func TestEvalStage(t *testing.T) {
	tmp := t.TempDir()
	modelDir, ids := tinyModel(t, tmp)
	dataDir := filepath.Join(tmp, "data")
	writeTokens(t, dataDir, ids[:200])
	ev := &events{map[string]float64{}}
	req := evalRequest(modelDir, dataDir, filepath.Join(tmp, "out"))
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

// TestEvalRefusesEmptyData runs the stage on data with nothing to measure:
// it must fail rather than report a loss of 0 and a perplexity of 1.
func TestEvalRefusesEmptyData(t *testing.T) {
	tmp := t.TempDir()
	modelDir, ids := tinyModel(t, tmp)
	for _, tc := range []struct {
		name string
		rows [][]int32
	}{
		{"no rows", nil},
		{"rows of one token", [][]int32{ids[:1], ids[1:2]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			writeTokens(t, dataDir, tc.rows...)
			ev := &events{map[string]float64{}}
			req := evalRequest(modelDir, dataDir, filepath.Join(t.TempDir(), "out"))
			err := (Stage{}).Run(context.Background(), req, ev)
			if err == nil || !strings.Contains(err.Error(), `input "data"`) || !strings.Contains(err.Error(), "empty") {
				t.Fatalf("err = %v, want an empty-input error", err)
			}
			if len(ev.metrics) > 0 {
				t.Errorf("metrics reported: %v", ev.metrics)
			}
		})
	}
}
