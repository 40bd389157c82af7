package align

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/model/kernel"
	mpeft "github.com/llmflow/llmflow/model/peft"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

func TestRewardStage(t *testing.T) {
	base := chatCheckpoint(t)
	data := writePairs(t, testPairs(24))
	out := t.TempDir()
	ev, err := runStage(t, RewardStage{}, stageConfig(map[string]cty.Value{"max_steps": cty.NumberIntVal(6), "trainable_layers": cty.NumberIntVal(1)}), out,
		map[string]string{"model": base, "data": data})
	if err != nil {
		t.Fatal(err)
	}
	dir := ev.outputs["model"]
	m, h, info, err := model.LoadReward(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"val/accuracy", "val/accuracy_lo", "val/accuracy_hi", "val/reward_mean", "val/reward_std", "val/loss", "train/accuracy", "train/loss"} {
		ev.last(t, name)
	}
	if lo, acc, hi := ev.last(t, "val/accuracy_lo"), ev.last(t, "val/accuracy"), ev.last(t, "val/accuracy_hi"); !(lo <= acc && acc <= hi) {
		t.Fatalf("accuracy %g outside its interval [%g, %g]", acc, lo, hi)
	}
	tok, _ := os.ReadFile(filepath.Join(base, model.TokenizerFile))
	if got, _ := os.ReadFile(filepath.Join(dir, model.TokenizerFile)); !bytes.Equal(got, tok) {
		t.Fatal("the reward model lacks its policy's tokenizer.json")
	}
	if _, err := chat.ReadHFTemplate(dir); err != nil {
		t.Fatalf("the reward model lacks the chat template: %v", err)
	}
	p, _ := LoadPolicy(base, "")
	if info.PadTokenID != int(p.IDs.Pad) {
		t.Fatalf("pad_token_id %d, want the template's %d", info.PadTokenID, p.IDs.Pad)
	}
	// trainable_layers = 1: block 0 and the embeddings stay the base's.
	for _, name := range []string{"h.0.attn.c_attn.weight", "wte.weight"} {
		_, a, _ := p.Model.Tensor(name)
		_, b, _ := m.Tensor(name)
		if !equalFloats(a, b) {
			t.Errorf("%s changed though frozen", name)
		}
	}
	_, a, _ := p.Model.Tensor("h.1.mlp.c_fc.weight")
	_, b, _ := m.Tensor("h.1.mlp.c_fc.weight")
	if equalFloats(a, b) {
		t.Error("the top block did not train")
	}
	if len(h.Weight()) != m.Config.NEmbd {
		t.Fatal("score head has the wrong size")
	}
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDPOStage trains the whole model: at the first step the policy is the
// reference, so every implicit reward is exactly 0; afterwards the metrics
// TRL reports exist on train and held-out pairs.
func TestDPOStage(t *testing.T) {
	base := chatCheckpoint(t)
	data := writePairs(t, testPairs(24))
	ev, err := runStage(t, DPOStage{}, stageConfig(nil), t.TempDir(), map[string]string{"model": base, "data": data})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rewards/chosen", "rewards/rejected", "rewards/margins"} {
		if v := ev.metrics[name][0]; v != 0 || ev.steps[name][0] != 1 {
			t.Fatalf("%s at step %d is %g, want 0 (policy = reference)", name, ev.steps[name][0], v)
		}
	}
	if ev.metrics["rewards/accuracies"][0] != 0 || ev.metrics["train_loss"][0] != 0.6931471805599453 {
		t.Logf("first step: accuracy %g, loss %.17g", ev.metrics["rewards/accuracies"][0], ev.metrics["train_loss"][0])
	}
	for _, name := range []string{"rewards/accuracies", "logps/chosen", "logps/rejected", "eval_rewards/chosen", "eval_rewards/rejected",
		"eval_rewards/accuracies", "eval_rewards/margins", "eval_logps/chosen", "eval_logps/rejected", "eval_loss"} {
		ev.last(t, name)
	}
	if ev.last(t, "rewards/margins") == 0 {
		t.Fatal("the policy did not move from the reference")
	}
	dir := ev.outputs["model"]
	if _, err := model.LoadCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := chat.ReadHFTemplate(dir); err != nil {
		t.Fatalf("the aligned checkpoint lacks its chat template: %v", err)
	}
}

// TestDPOLoRA trains a LoRA policy: its reference is the base without the
// adapter (the logps stage gives the base's own log-probs), the base
// stays frozen, and the output is an adapter on the same base.
func TestDPOLoRA(t *testing.T) {
	base := chatCheckpoint(t)
	adapter := loraAdapter(t, base)
	data := writePairs(t, testPairs(16))
	ctx := context.Background()
	// Reference log-probs with the adapter bypassed equal the base's alone.
	lcfg := cty.ObjectVal(map[string]cty.Value{})
	withAdapter, err := runStage(t, LogpsStage{}, lcfg, t.TempDir(), map[string]string{"model": base, "adapter": adapter, "data": data})
	if err != nil {
		t.Fatal(err)
	}
	alone, err := runStage(t, LogpsStage{}, lcfg, t.TempDir(), map[string]string{"model": base, "data": data})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := readRefLogps(ctx, withAdapter.outputs["data"])
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := readRefLogps(ctx, alone.outputs["data"])
	if len(a) != 16 || len(b) != 16 {
		t.Fatalf("%d and %d reference log-probs for 16 pairs", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("pair %d: reference %v with the adapter bypassed, %v from the base alone", i, a[i], b[i])
		}
	}
	// The LoRA policy differs from its reference from the start.
	ev, err := runStage(t, DPOStage{}, stageConfig(nil), t.TempDir(), map[string]string{"model": base, "adapter": adapter, "data": data})
	if err != nil {
		t.Fatal(err)
	}
	if ev.metrics["rewards/margins"][0] == 0 {
		t.Fatal("a trained adapter's policy equals its base")
	}
	out := ev.outputs["adapter"]
	if out == "" || ev.outputs["model"] != "" {
		t.Fatalf("outputs %v, want only an adapter", ev.outputs)
	}
	ad, err := mpeft.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := model.LoadCheckpoint(base)
	bo, _ := mpeft.BaseOf(base)
	if err := ad.Apply(m, bo); err != nil {
		t.Fatalf("the trained adapter does not apply to its base: %v", err)
	}
	if _, err := chat.ReadHFTemplate(out); err != nil {
		t.Fatalf("the adapter lacks the chat template: %v", err)
	}
}

// TestLogpsCache: dpo after logps uses the stored reference log-probs and
// trains exactly as it does computing them; stored under other settings
// they are refused with the reason.
func TestLogpsCache(t *testing.T) {
	base := chatCheckpoint(t)
	data := writePairs(t, testPairs(16))
	logps, err := runStage(t, LogpsStage{}, cty.ObjectVal(map[string]cty.Value{}), t.TempDir(), map[string]string{"model": base, "data": data})
	if err != nil {
		t.Fatal(err)
	}
	cached, err := runStage(t, DPOStage{}, stageConfig(nil), t.TempDir(), map[string]string{"model": base, "data": logps.outputs["data"]})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(cached.logs, "\n"), "using the stored reference log-probs") {
		t.Fatalf("dpo did not use the stored log-probs: %q", cached.logs)
	}
	fresh, err := runStage(t, DPOStage{}, stageConfig(nil), t.TempDir(), map[string]string{"model": base, "data": data})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(filepath.Join(cached.outputs["model"], model.WeightsFile))
	y, _ := os.ReadFile(filepath.Join(fresh.outputs["model"], model.WeightsFile))
	if len(x) == 0 || !bytes.Equal(x, y) {
		t.Fatal("training on stored reference log-probs differs from computing them")
	}
	_, err = runStage(t, DPOStage{}, stageConfig(map[string]cty.Value{"max_length": cty.NumberIntVal(100)}), t.TempDir(),
		map[string]string{"model": base, "data": logps.outputs["data"]})
	if err == nil || !strings.Contains(err.Error(), "truncation") {
		t.Fatalf("error %v, want the truncation named", err)
	}
}

// TestDPOThreadsBitIdentical: the same run at one and two threads writes
// the same bytes.
func TestDPOThreadsBitIdentical(t *testing.T) {
	base := chatCheckpoint(t)
	data := writePairs(t, testPairs(16))
	var outs [][]byte
	for _, threads := range []int{1, 2} {
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
			kernel.SetThreads(threads)
			defer kernel.SetThreads(0)
			ev, err := runStage(t, DPOStage{}, stageConfig(nil), t.TempDir(), map[string]string{"model": base, "data": data})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(filepath.Join(ev.outputs["model"], model.WeightsFile))
			outs = append(outs, b)
		}()
	}
	if len(outs[0]) == 0 || !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("one and two threads give different checkpoints")
	}
}

// TestResume stops each stage halfway and runs it again to the end in the
// same directory: it resumes, and its output is bit-identical to a run
// that was never stopped.
func TestResume(t *testing.T) {
	base := chatCheckpoint(t)
	adapter := loraAdapter(t, base)
	data := writePairs(t, testPairs(16))
	// A constant learning rate, so the schedule does not depend on max_steps.
	cfg := func(steps int64) cty.Value {
		return stageConfig(map[string]cty.Value{"max_steps": cty.NumberIntVal(steps), "warmup_steps": cty.NumberIntVal(0),
			"lr": cty.NumberFloatVal(1e-3), "min_lr": cty.NumberFloatVal(1e-3)})
	}
	for _, tc := range []struct {
		name   string
		stage  sdk.Stage
		inputs map[string]string
		file   string
	}{
		{"reward", RewardStage{}, map[string]string{"model": base, "data": data}, filepath.Join(trainer.ModelDirName, model.WeightsFile)},
		{"dpo", DPOStage{}, map[string]string{"model": base, "data": data}, filepath.Join(trainer.ModelDirName, model.WeightsFile)},
		{"dpo-lora", DPOStage{}, map[string]string{"model": base, "adapter": adapter, "data": data}, filepath.Join(AdapterDirName, mpeft.WeightsFile)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			straight, stopped := t.TempDir(), t.TempDir()
			if _, err := runStage(t, tc.stage, cfg(6), straight, tc.inputs); err != nil {
				t.Fatal(err)
			}
			if _, err := runStage(t, tc.stage, cfg(3), stopped, tc.inputs); err != nil {
				t.Fatal(err)
			}
			ev, err := runStage(t, tc.stage, cfg(6), stopped, tc.inputs)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(ev.logs, "\n"), "resuming from the checkpoint saved at step 3") {
				t.Fatalf("the second run did not resume: %q", ev.logs)
			}
			a, _ := os.ReadFile(filepath.Join(straight, tc.file))
			b, _ := os.ReadFile(filepath.Join(stopped, tc.file))
			if len(a) == 0 || !bytes.Equal(a, b) {
				t.Fatalf("%s differs after resuming", tc.file)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		stage sdk.Stage
		attrs map[string]cty.Value
		want  string
	}{
		{DPOStage{}, map[string]cty.Value{"loss": cty.StringVal("kto")}, "loss"},
		{DPOStage{}, map[string]cty.Value{"beta": cty.NumberFloatVal(0)}, "beta"},
		{DPOStage{}, map[string]cty.Value{"batch_size": cty.NumberIntVal(3)}, "even"},
		{RewardStage{}, map[string]cty.Value{"trainable_layers": cty.NumberIntVal(-2)}, "trainable_layers"},
		{LogpsStage{}, map[string]cty.Value{"max_length": cty.NumberIntVal(-1)}, "max_length"},
	} {
		ds := tc.stage.Validate(context.Background(), cty.ObjectVal(tc.attrs))
		if !ds.HasErrors() || !strings.Contains(ds.Err().Error(), tc.want) {
			t.Errorf("%T %v: %v, want an error about %s", tc.stage, tc.attrs, ds.Err(), tc.want)
		}
	}
}
