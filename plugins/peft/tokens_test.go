package peft

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	mpeft "github.com/llmflow/llmflow/model/peft"
	"github.com/llmflow/llmflow/plugins/sdk"
)

// writeTokens writes n rows of 33 ids below 250 as a token dataset.
func writeTokens(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	sc := artifact.TokensSchema(false, true)
	w, err := artifact.NewDatasetWriter(dir, sc)
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	ids, starts := b.Field(0).(*array.ListBuilder), b.Field(1).(*array.ListBuilder)
	for i := range n {
		row := make([]int32, 33)
		for j := range row {
			row[j] = int32((i*7 + j*3) % 250)
		}
		ids.Append(true)
		ids.ValueBuilder().(*array.Int32Builder).AppendValues(row, nil)
		starts.Append(true)
		starts.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{0}, nil)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestTokenData: continued pretraining on a token dataset through LoRA
// gives an adapter of the base; a text dataset is refused by kind.
func TestTokenData(t *testing.T) {
	base := chatCheckpoint(t, true)
	for _, tc := range []struct {
		name, kind, want string
	}{
		{"tokens", artifact.KindTokens, ""},
		{"text", artifact.KindText, "peft trains on an instruction dataset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(map[string]cty.Value{"block_size": cty.NumberIntVal(32)})
			ev := newRecEvents()
			out := t.TempDir()
			req := &sdk.RunRequest{Config: cfg, OutputDir: out, Seed: 3, Inputs: map[string]sdk.Input{
				"model": {Path: base, Kind: artifact.KindCheckpoint},
				"data":  {Path: writeTokens(t, 12), Kind: tc.kind},
				"val":   {Path: writeTokens(t, 3), Kind: tc.kind},
			}}
			err := Stage{}.Run(context.Background(), req, ev)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := ev.metrics["val_loss"]; !ok || ev.metrics["trainable_params"] == 0 {
				t.Errorf("metrics %v", ev.metrics)
			}
			a, err := mpeft.Load(ev.outputs["adapter"])
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := mpeft.BaseOf(base); a.Base.Digest != b.Digest {
				t.Errorf("adapter of %s, base %s", a.Base.Digest, b.Digest)
			}
		})
	}
}
