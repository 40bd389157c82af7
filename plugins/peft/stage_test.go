package peft

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/artifact/safetensors"
	"github.com/llmflow/llmflow/model"
	mpeft "github.com/llmflow/llmflow/model/peft"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

func config(attrs map[string]cty.Value) cty.Value {
	base := map[string]cty.Value{
		"batch_size": cty.NumberIntVal(2), "max_steps": cty.NumberIntVal(4), "log_every": cty.NumberIntVal(1),
		"val_fraction": cty.NumberFloatVal(0.2), "block_size": cty.NumberIntVal(64),
	}
	for k, v := range attrs {
		base[k] = v
	}
	return cty.ObjectVal(base)
}

func run(t *testing.T, base, data, out string, cfg cty.Value) (*recEvents, error) {
	t.Helper()
	s := Stage{}
	if diags := s.Validate(context.Background(), cfg); diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	ev := newRecEvents()
	req := &sdk.RunRequest{Config: cfg, OutputDir: out, Seed: 3, Inputs: map[string]sdk.Input{
		"model": {Path: base, Kind: artifact.KindCheckpoint},
		"data":  {Path: data, Kind: artifact.KindInstruction},
	}}
	return ev, s.Run(context.Background(), req, ev)
}

// TestStageRun trains each method briefly and checks its output: an
// adapter that applies to the base it names, or for partial a checkpoint
// whose frozen tensors are the base's bit for bit.
func TestStageRun(t *testing.T) {
	base := chatCheckpoint(t, false)
	data := writeInstructions(t, 20)
	for _, tc := range []struct {
		method string
		attrs  map[string]cty.Value
		output string
	}{
		{MethodLoRA, map[string]cty.Value{"target_modules": cty.ListVal([]cty.Value{cty.StringVal("attn.c_attn"), cty.StringVal("mlp.c_fc")})}, "adapter"},
		// block_size 0: the rows fill the positions the prefix leaves.
		{MethodPrefix, map[string]cty.Value{"num_virtual_tokens": cty.NumberIntVal(4), "prefix_projection": cty.NumberIntVal(8), "block_size": cty.NumberIntVal(0)}, "adapter"},
		{MethodAdapter, map[string]cty.Value{"bottleneck": cty.NumberIntVal(4)}, "adapter"},
		{MethodPartial, map[string]cty.Value{"trainable_layers": cty.NumberIntVal(1)}, "model"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			tc.attrs["method"] = cty.StringVal(tc.method)
			ev, err := run(t, base, data, t.TempDir(), config(tc.attrs))
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"trainable_params", "total_params", "trainable_share", "train_loss", "val_loss", "tokens_per_s"} {
				if _, ok := ev.metrics[name]; !ok {
					t.Errorf("metric %s not reported", name)
				}
			}
			if s := ev.metrics["trainable_share"]; s <= 0 || s >= 1 {
				t.Errorf("trainable share %g", s)
			}
			dir, ok := ev.outputs[tc.output]
			if !ok || len(ev.outputs) != 1 {
				t.Fatalf("outputs %v, want only %s", ev.outputs, tc.output)
			}
			if tc.output == "model" {
				checkFrozen(t, base, dir)
				return
			}
			a, err := mpeft.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := mpeft.BaseOf(base)
			m, err := model.LoadCheckpoint(base)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Apply(m, b); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// checkFrozen requires partial training (top block trained) to leave the
// bottom block and the embeddings bit-identical to the base's.
func checkFrozen(t *testing.T, baseDir, dir string) {
	t.Helper()
	bf, err := safetensors.ReadFile(filepath.Join(baseDir, model.WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	tf, err := safetensors.ReadFile(filepath.Join(dir, model.WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	frozen, trained := 0, 0
	for _, info := range bf.Tensors {
		want, _, _ := bf.Raw(info.Name)
		got, _, err := tf.Raw(info.Name)
		if err != nil {
			t.Fatal(err)
		}
		same := bytes.Equal(got, want)
		if strings.HasPrefix(info.Name, "h.0.") || strings.HasPrefix(info.Name, "wte") || strings.HasPrefix(info.Name, "wpe") {
			frozen++
			if !same {
				t.Errorf("frozen tensor %s changed", info.Name)
			}
		} else if !same {
			trained++
		}
	}
	if frozen == 0 || trained == 0 {
		t.Errorf("%d frozen tensors checked, %d trained ones changed", frozen, trained)
	}
}

// TestResume stops a LoRA run with dropout halfway and resumes it: the
// adapter must be bit-identical to one trained without stopping, which
// needs the LoRA tensors and the dropout RNG restored with the base.
func TestResume(t *testing.T) {
	base := chatCheckpoint(t, false)
	data := writeInstructions(t, 20)
	// A constant learning rate, so the schedule does not depend on max_steps.
	attrs := func(steps int64) cty.Value {
		return config(map[string]cty.Value{"max_steps": cty.NumberIntVal(steps), "dropout": cty.NumberFloatVal(0.3),
			"warmup_steps": cty.NumberIntVal(0), "lr": cty.NumberFloatVal(0.01), "min_lr": cty.NumberFloatVal(0.01)})
	}
	straight, stopped := t.TempDir(), t.TempDir()
	if _, err := run(t, base, data, straight, attrs(6)); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, base, data, stopped, attrs(3)); err != nil {
		t.Fatal(err)
	}
	ev, err := run(t, base, data, stopped, attrs(6))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(ev.logs, "\n"), "resuming from the checkpoint saved at step 3") {
		t.Fatalf("the second run did not resume: %q", ev.logs)
	}
	for _, name := range []string{mpeft.WeightsFile, filepath.Join("..", trainer.ModelDirName, model.StateFile)} {
		a, _ := os.ReadFile(filepath.Join(straight, AdapterDirName, name))
		b, _ := os.ReadFile(filepath.Join(stopped, AdapterDirName, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs after resuming", name)
		}
	}
}

// TestPrefixBlockSize: the virtual tokens take the first positions, so a
// block_size that fills n_positions is refused, naming what fits.
func TestPrefixBlockSize(t *testing.T) {
	cfg := config(map[string]cty.Value{"method": cty.StringVal(MethodPrefix), "num_virtual_tokens": cty.NumberIntVal(4)})
	_, err := run(t, chatCheckpoint(t, false), writeInstructions(t, 8), t.TempDir(), cfg)
	if err == nil || !strings.Contains(err.Error(), "block_size 64") || !strings.Contains(err.Error(), "use rows of at most 60 tokens") {
		t.Fatalf("error %v", err)
	}
}

// TestBaseWithoutTemplateTokens: a frozen base cannot grow its vocabulary,
// so a tokenizer lacking the template's tokens is refused, naming them.
func TestBaseWithoutTemplateTokens(t *testing.T) {
	_, err := run(t, chatCheckpoint(t, true), writeInstructions(t, 8), t.TempDir(), config(nil))
	if err == nil || !strings.Contains(err.Error(), "<|im_start|>") || !strings.Contains(err.Error(), "cannot grow its vocabulary") {
		t.Fatalf("error %v", err)
	}
}

func TestStageValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs map[string]cty.Value
		want  string
	}{
		{"method", map[string]cty.Value{"method": cty.StringVal("ia3")}, "Unknown method"},
		{"rank", map[string]cty.Value{"r": cty.NumberIntVal(0)}, "r must be positive"},
		{"module", map[string]cty.Value{"target_modules": cty.ListVal([]cty.Value{cty.StringVal("attn.q_proj")})}, "unknown target module"},
		{"prefix", map[string]cty.Value{"method": cty.StringVal(MethodPrefix), "num_virtual_tokens": cty.NumberIntVal(0)}, "num_virtual_tokens is 0"},
		{"bottleneck", map[string]cty.Value{"method": cty.StringVal(MethodAdapter), "bottleneck": cty.NumberIntVal(-1)}, "bottleneck is -1"},
		{"shared", map[string]cty.Value{"overlong": cty.StringVal("wrap")}, "Unknown overlong policy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			diags := Stage{}.Validate(context.Background(), cty.ObjectVal(tc.attrs))
			if len(diags) != 1 || !strings.Contains(diags.Err().Error(), tc.want) {
				t.Fatalf("diagnostics %v, want one with %q", diags, tc.want)
			}
		})
	}
}
