package pretrain

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

type recEvents struct {
	mu      sync.Mutex
	metrics map[string]int
	outputs []string
}

func (e *recEvents) Progress(int64, int64, string) {}
func (e *recEvents) Log(string)                    {}
func (e *recEvents) Metric(_ int64, name string, _ float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.metrics[name]++
}
func (e *recEvents) Output(name, path, kind string) { e.outputs = append(e.outputs, name+" "+kind) }

// writeTokens writes rows as a tokens dataset with doc_starts.
func writeTokens(t *testing.T, dir string, rows [][]int32) {
	t.Helper()
	w, err := artifact.NewDatasetWriter(dir, artifact.TokensSchema(false, true))
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, artifact.TokensSchema(false, true))
	defer b.Release()
	ids := b.Field(0).(*array.ListBuilder)
	starts := b.Field(1).(*array.ListBuilder)
	for _, r := range rows {
		ids.Append(true)
		ids.ValueBuilder().(*array.Int32Builder).AppendValues(r, nil)
		starts.Append(true)
		starts.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{0, int32(len(r) / 2)}, nil)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// rows returns n rows of 33 tokens counting up modulo 23 from different
// starts.
func rows(n int) [][]int32 {
	var rs [][]int32
	for i := range n {
		r := make([]int32, 33)
		for j := range r {
			r[j] = int32((5*i + j) % 23)
		}
		rs = append(rs, r)
	}
	return rs
}

func TestStageRun(t *testing.T) {
	tmp := t.TempDir()
	d := rows(6)
	writeTokens(t, filepath.Join(tmp, "train"), d)
	writeTokens(t, filepath.Join(tmp, "val"), d[:2])
	cfg := cty.ObjectVal(map[string]cty.Value{
		"n_layer": cty.NumberIntVal(1), "n_head": cty.NumberIntVal(2), "n_embd": cty.NumberIntVal(8),
		"block_size": cty.NumberIntVal(16), "batch_size": cty.NumberIntVal(2), "max_steps": cty.NumberIntVal(4),
		"eval_every": cty.NumberIntVal(2), "log_every": cty.NumberIntVal(1),
	})
	s := Stage{}
	if diags := s.Validate(context.Background(), cfg); diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	ev := &recEvents{metrics: map[string]int{}}
	req := &sdk.RunRequest{Config: cfg, OutputDir: filepath.Join(tmp, "out"), Seed: 3, Inputs: map[string]sdk.Input{
		"data": {Path: filepath.Join(tmp, "train"), Kind: artifact.KindTokens},
		"val":  {Path: filepath.Join(tmp, "val"), Kind: artifact.KindTokens},
	}}
	if err := s.Run(context.Background(), req, ev); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"train_loss", "val_loss", "lr", "tokens_per_s"} {
		if ev.metrics[name] == 0 {
			t.Errorf("metric %s not reported", name)
		}
	}
	if len(ev.outputs) != 1 || ev.outputs[0] != "model checkpoint" {
		t.Fatalf("outputs %v", ev.outputs)
	}
	if _, err := model.LoadCheckpoint(filepath.Join(req.OutputDir, trainer.ModelDirName)); err != nil {
		t.Fatal(err)
	}
}

func TestStageValidate(t *testing.T) {
	cfg := cty.ObjectVal(map[string]cty.Value{"n_embd": cty.NumberIntVal(30), "n_head": cty.NumberIntVal(4), "time_budget": cty.StringVal("soon")})
	diags := Stage{}.Validate(context.Background(), cfg)
	if len(diags) != 2 {
		t.Fatalf("diagnostics %v, want n_embd and time_budget", diags)
	}
}

// TestDecodeSharedAttributes decodes a config that sets the stage's own and
// the shared training attributes in one block.
func TestDecodeSharedAttributes(t *testing.T) {
	cfg := cty.ObjectVal(map[string]cty.Value{
		"n_layer": cty.NumberIntVal(2), "lr": cty.NumberFloatVal(1e-3), "grad_accum": cty.NumberIntVal(4),
		"reset_position_ids": cty.True,
	})
	c, err := decode(cfg, 9)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.NLayer, want.LR, want.GradAccum, want.ResetPositionIDs, want.Seed = 2, 1e-3, 4, true, 9
	if c != want {
		t.Fatalf("decoded %+v, want %+v", c, want)
	}
}
