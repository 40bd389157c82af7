package align

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/artifact/safetensors"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/preference"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/model/kernel"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

var (
	sharedFixture    ppoFixture
	sharedFixtureDir string
)

// fixture trains the tiny policy and reward model once per test binary.
func fixture(t *testing.T) ppoFixture {
	t.Helper()
	if sharedFixture.policy == "" {
		dir, err := os.MkdirTemp("", "ppo-fixture")
		if err != nil {
			t.Fatal(err)
		}
		sharedFixtureDir = dir
		sharedFixture = newPPOFixtureIn(t, dir, 32, 300, 150)
	}
	return sharedFixture
}

func testPPOConfig() PPOConfig {
	c := DefaultPPOConfig()
	c.Steps, c.BatchSize, c.MiniBatches, c.PPOEpochs, c.MaxNewTokens, c.Seed = 3, 8, 2, 2, 8, 5
	return c
}

func ppoInputs(f ppoFixture, prompts, val string) map[string]sdk.Input {
	in := map[string]sdk.Input{
		"model":        {Path: f.policy, Kind: artifact.KindCheckpoint},
		"reward_model": {Path: f.reward, Kind: artifact.KindCheckpoint},
		"prompts":      {Path: prompts, Kind: artifact.KindInstruction},
	}
	if val != "" {
		in["val_prompts"] = sdk.Input{Path: val, Kind: artifact.KindInstruction}
	}
	return in
}

// firstRollouts prepares a run and samples and evaluates the rollouts of
// its first step.
func firstRollouts(t *testing.T, cfg PPOConfig, in map[string]sdk.Input) (*ppo, []*rollout) {
	t.Helper()
	p, err := preparePPO(context.Background(), cfg, in, newRecEvents())
	if err != nil {
		t.Fatal(err)
	}
	rs, err := p.sample(p.batchPrompts(0), cfg.Temperature, streamRollout, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.evaluate(rs); err != nil {
		t.Fatal(err)
	}
	return p, rs
}

// TestPPOPolicyIsReference: before any update the policy is the reference,
// so every rollout's KL is exactly 0 and its rewards are the score at the
// last token and 0 elsewhere.
func TestPPOPolicyIsReference(t *testing.T) {
	f := fixture(t)
	_, rs := firstRollouts(t, testPPOConfig(), ppoInputs(f, writePPOPrompts(t, ppoNouns), ""))
	for i, r := range rs {
		r.setRewards(0.2)
		if r.kl() != 0 {
			t.Errorf("rollout %d: KL %g to a reference equal to the policy", i, r.kl())
		}
		for j, v := range r.rewards {
			want := 0.0
			if j == len(r.rewards)-1 {
				want = r.score
			}
			if v != want {
				t.Errorf("rollout %d token %d: reward %g, want %g", i, j, v, want)
			}
		}
	}
}

// TestPPOGradients checks the gradient of the mini-batch loss (clipped
// surrogate plus weighted value loss) through the whole model, value head
// included, against central differences.
func TestPPOGradients(t *testing.T) {
	f := fixture(t)
	cfg := testPPOConfig()
	cfg.VFCoef, cfg.ClipRange, cfg.ClipRangeValue = 0.5, 100, 100 // no kinks near the point
	p, rs := firstRollouts(t, cfg, ppoInputs(f, writePPOPrompts(t, ppoNouns), ""))
	rng := model.NewRNG(9)
	for _, r := range rs {
		r.setRewards(0.2)
		r.adv = make([]float64, len(r.response))
		r.ret = make([]float64, len(r.response))
		for j := range r.adv {
			// Old log-probs and values away from the current ones, so both
			// ratios and value errors are far from trivial.
			r.logp[j] += 0.3 * rng.Normal()
			r.values[j] += rng.Normal()
			r.adv[j], r.ret[j] = rng.Normal(), rng.Normal()
		}
	}
	m := p.policy
	if _, err := p.gradients(rs, &optStats{}); err != nil {
		t.Fatal(err)
	}
	grads := append([]float32(nil), m.Grads...)
	loss := func() float64 {
		l, err := p.gradients(rs, &optStats{})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	for _, name := range []string{ValueHead + ".weight", ValueHead + ".bias", "h.1.mlp.c_fc.weight", "h.0.attn.c_attn.weight", "wte.weight", "ln_f.weight"} {
		tn, vals, ok := m.Tensor(name)
		if !ok {
			t.Fatalf("no tensor %s", name)
		}
		for _, i := range []int{0, tn.Size / 3, tn.Size - 1} {
			const h = 1e-2
			old := vals[i]
			vals[i] = old + h
			lp := loss()
			vals[i] = old - h
			lm := loss()
			vals[i] = old
			num := (lp - lm) / (2 * h)
			got := float64(grads[tn.Off+i])
			if math.Abs(num-got) > 2e-3+0.05*math.Abs(num) {
				t.Errorf("%s[%d]: gradient %g, numerical %g", name, i, got, num)
			}
		}
	}
}

// TestPPORun trains a few steps and checks the metrics, the outputs and
// that a second run makes the same bytes.
func TestPPORun(t *testing.T) {
	f := fixture(t)
	prompts, val := writePPOPrompts(t, ppoNouns[:18]), writePPOPrompts(t, ppoNouns[18:24])
	run := func(dir string) *recEvents {
		ev := newRecEvents()
		if _, err := TrainPPO(context.Background(), testPPOConfig(), ppoInputs(f, prompts, val), dir, ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	a, b := t.TempDir(), t.TempDir()
	ev := run(a)
	for _, name := range []string{"score_mean", "score_std", "kl", "kl_coef", "entropy", "response_length", "returns/mean",
		"policy/clipfrac", "policy/approxkl", "loss/policy", "loss/value", "value/clipfrac", "grad_norm",
		"eval/score_mean_before", "eval/score_std_before", "eval/kl_before", "eval/score_mean_after", "eval/kl_after", "eval/score_gain_std"} {
		v := ev.metrics[name]
		if len(v) == 0 || math.IsNaN(v[len(v)-1]) {
			t.Errorf("metric %s: %v", name, v)
		}
	}
	if n := len(ev.metrics["score_mean"]); n != 3 {
		t.Errorf("%d score_mean values for 3 steps", n)
	}
	if ev.last(t, "eval/kl_before") != 0 {
		t.Errorf("held-out KL before training %g, want 0", ev.last(t, "eval/kl_before"))
	}
	if c := ev.metrics["kl_coef"]; c[0] != 0.2 {
		t.Errorf("first kl_coef %g, want init_kl_coef 0.2", c[0])
	}
	dir := filepath.Join(a, trainer.ModelDirName)
	if _, err := model.LoadCheckpoint(dir); err != nil {
		t.Errorf("the output is not a plain checkpoint: %v", err)
	}
	vh, err := safetensors.ReadFile(filepath.Join(dir, ValueHeadFile))
	if err != nil {
		t.Fatal(err)
	}
	if w, shape, err := vh.Float32(ValueHead + ".weight"); err != nil || len(shape) != 2 || shape[0] != 1 || int(shape[1]) != len(w) {
		t.Errorf("value head weight %v %v", shape, err)
	}
	if _, _, err := vh.Float32(ValueHead + ".bias"); err != nil {
		t.Error(err)
	}
	rows, err := readReportRows(filepath.Join(a, "report", "rollouts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3*4 || rows[0].Step != 1 || !strings.Contains(rows[0].Prompt, "Tell me about") || rows[0].Response == "" {
		t.Errorf("report rows: %+v", rows)
	}
	var sum summary
	b1, _ := os.ReadFile(filepath.Join(a, "report", "summary.json"))
	if err := json.Unmarshal(b1, &sum); err != nil || sum.Steps != 3 || sum.Before == nil || sum.After == nil || sum.Before.N != 6 {
		t.Errorf("summary.json %s: %v", b1, err)
	}
	run(b)
	for _, name := range []string{"model/model.safetensors", "model/" + ValueHeadFile, "model/" + model.StateFile, "model/" + model.StateMetaFile,
		"model/" + model.AttachedStateFile, "report/rollouts.jsonl", "report/summary.json"} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed (%d and %d bytes)", name, len(x), len(y))
		}
	}
}

// TestPPOResume stops a run after its second step and continues it; the
// outputs equal those of a run that was never stopped.
func TestPPOResume(t *testing.T) {
	f := fixture(t)
	in := ppoInputs(f, writePPOPrompts(t, ppoNouns[:18]), writePPOPrompts(t, ppoNouns[18:24]))
	cfg := testPPOConfig()
	cfg.Steps = 4
	whole := t.TempDir()
	if _, err := TrainPPO(context.Background(), cfg, in, whole, newRecEvents()); err != nil {
		t.Fatal(err)
	}
	part := t.TempDir()
	short := cfg
	short.Steps = 2
	if _, err := TrainPPO(context.Background(), short, in, part, newRecEvents()); err != nil {
		t.Fatal(err)
	}
	ev := newRecEvents()
	if _, err := TrainPPO(context.Background(), cfg, in, part, ev); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(ev.logs, "\n"), "resuming from the state saved after step 2") {
		t.Errorf("no resume in the logs:\n%s", strings.Join(ev.logs, "\n"))
	}
	for _, name := range []string{"model/model.safetensors", "model/" + ValueHeadFile, "model/" + model.StateFile, "report/rollouts.jsonl"} {
		x, _ := os.ReadFile(filepath.Join(whole, name))
		y, _ := os.ReadFile(filepath.Join(part, name))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s of the resumed run differs from the uninterrupted run's", name)
		}
	}
	// Another config must not resume the state.
	other := cfg
	other.ClipRange = 0.3
	if _, err := TrainPPO(context.Background(), other, in, part, newRecEvents()); err == nil || !strings.Contains(err.Error(), "different config") {
		t.Errorf("resume under another config: %v", err)
	}
}

func TestPPOConfigCheck(t *testing.T) {
	s := PPO{}
	cfg := cty.ObjectVal(map[string]cty.Value{
		"batch_size": cty.NumberIntVal(6), "mini_batches": cty.NumberIntVal(4), "gamma": cty.NumberFloatVal(1.5),
		"temperature": cty.NumberIntVal(0), "steps": cty.NumberIntVal(0),
	})
	ds := s.Validate(context.Background(), cfg)
	var got []string
	for _, d := range ds {
		got = append(got, d.Attribute)
	}
	want := []string{"steps", "mini_batches", "temperature", "gamma"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("diagnostics on %v, want %v: %v", got, want, ds.Err())
	}
	if ds := s.Validate(context.Background(), cty.EmptyObjectVal); ds.HasErrors() {
		t.Errorf("defaults invalid: %v", ds.Err())
	}
}

// TestPPORefusesOtherTokenizer: a reward model with another tokenizer
// would read the policy's ids as other text.
func TestPPORefusesOtherTokenizer(t *testing.T) {
	f := fixture(t)
	other := t.TempDir()
	for _, name := range []string{model.ConfigFile, model.WeightsFile, model.TokenizerFile} {
		b, _ := os.ReadFile(filepath.Join(f.reward, name))
		if name == model.TokenizerFile {
			b = bytes.ReplaceAll(b, []byte(`<|im_end|>`), []byte(`<|im_stop|>`))
		}
		os.WriteFile(filepath.Join(other, name), b, 0o644)
	}
	in := ppoInputs(f, writePPOPrompts(t, ppoNouns), "")
	in["reward_model"] = sdk.Input{Path: other, Kind: artifact.KindCheckpoint}
	_, err := TrainPPO(context.Background(), testPPOConfig(), in, t.TempDir(), newRecEvents())
	if err == nil || !strings.Contains(err.Error(), "must share the policy's tokenizer") {
		t.Errorf("err = %v", err)
	}
}

// TestPPOLoRA trains a LoRA policy: its reference is the base with the
// adapter bypassed (the same log-probs as the base checkpoint loaded
// alone), the base stays as it was, and the adapter comes out with the
// value head beside it.
func TestPPOLoRA(t *testing.T) {
	f := fixture(t)
	adapter := loraAdapter(t, f.policy)
	in := ppoInputs(f, writePPOPrompts(t, ppoNouns[:18]), writePPOPrompts(t, ppoNouns[18:24]))
	in["adapter"] = sdk.Input{Path: adapter, Kind: artifact.KindAdapter}
	p, rs := firstRollouts(t, testPPOConfig(), in)
	if p.ref != nil {
		t.Fatal("a LoRA policy loaded a second copy of the model as its reference")
	}
	base, err := model.LoadCheckpoint(f.policy)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]*rollout, len(rs))
	for i, r := range rs {
		want[i] = &rollout{prompt: r.prompt, response: r.response}
	}
	if err := refLogProbs(base, want, p.rows, p.pad); err != nil {
		t.Fatal(err)
	}
	var kl float64
	for i, r := range rs {
		for j := range r.refLogp {
			if r.refLogp[j] != want[i].refLogp[j] {
				t.Fatalf("rollout %d token %d: reference log-prob %g, the base alone gives %g", i, j, r.refLogp[j], want[i].refLogp[j])
			}
		}
		kl += math.Abs(r.kl())
	}
	if kl == 0 {
		t.Error("a non-zero adapter gives the same log-probs as its base")
	}

	ev := newRecEvents()
	out := t.TempDir()
	res, err := TrainPPO(context.Background(), testPPOConfig(), in, out, ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"adapter_model.safetensors", "adapter_config.json", ValueHeadFile, model.TokenizerFile} {
		if _, err := os.Stat(filepath.Join(res.AdapterDir, name)); err != nil {
			t.Error(err)
		}
	}
	x, _ := os.ReadFile(filepath.Join(f.policy, model.WeightsFile))
	y, _ := os.ReadFile(filepath.Join(out, trainer.ModelDirName, model.WeightsFile))
	if !bytes.Equal(x, y) {
		t.Error("training the adapter changed the base weights")
	}
	a, _ := os.ReadFile(filepath.Join(adapter, "adapter_model.safetensors"))
	b, _ := os.ReadFile(filepath.Join(res.AdapterDir, "adapter_model.safetensors"))
	if bytes.Equal(a, b) {
		t.Error("the adapter did not change")
	}
}

// TestPPOThreadsBitIdentical: the same run at one and two threads writes
// the same policy, value head and report.
func TestPPOThreadsBitIdentical(t *testing.T) {
	f := fixture(t)
	in := ppoInputs(f, writePPOPrompts(t, ppoNouns[:18]), writePPOPrompts(t, ppoNouns[18:24]))
	var outs []string
	for _, threads := range []int{1, 2} {
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
			kernel.SetThreads(threads)
			defer kernel.SetThreads(0)
			out := t.TempDir()
			if _, err := TrainPPO(context.Background(), testPPOConfig(), in, out, newRecEvents()); err != nil {
				t.Fatal(err)
			}
			outs = append(outs, out)
		}()
	}
	for _, name := range []string{"model/model.safetensors", "model/" + ValueHeadFile, "report/rollouts.jsonl", "report/summary.json"} {
		x, _ := os.ReadFile(filepath.Join(outs[0], name))
		y, _ := os.ReadFile(filepath.Join(outs[1], name))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between one and two threads", name)
		}
	}
}

// TestPPOPromptsFromPreferences: a preference dataset's prompt
// conversations serve as prompts, as an instruction dataset's
// conversations do up to their last user turn.
func TestPPOPromptsFromPreferences(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "prefs")
	w, err := preference.NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	conv := []chat.Message{{Role: chat.RoleSystem, Content: "Be brief."}, {Role: chat.RoleUser, Content: "Hi"},
		{Role: chat.RoleAssistant, Content: "Hello."}, {Role: chat.RoleUser, Content: "Tell me about cats."}}
	if err := w.Append(preference.Pair{ID: "a", Prompt: conv, Chosen: "Cats are good.", Rejected: "I know cats."}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := readPrompts(context.Background(), sdk.Input{Path: dir, Kind: artifact.KindPreference})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], conv) {
		t.Errorf("prompts %+v, want %+v", got, conv)
	}
	inst, err := readPrompts(context.Background(), sdk.Input{Path: writePPOPrompts(t, []string{"cats"}), Kind: artifact.KindInstruction})
	if err != nil {
		t.Fatal(err)
	}
	if len(inst) != 1 || len(inst[0]) != 1 || inst[0][0].Content != "Tell me about cats." {
		t.Errorf("instruction prompts %+v", inst)
	}
	if _, err := readPrompts(context.Background(), sdk.Input{Path: dir, Kind: artifact.KindTokens}); err == nil || !strings.Contains(err.Error(), "instruction or preference dataset") {
		t.Errorf("a token dataset as prompts: %v", err)
	}
}

// TestPPOScoresWholeTurns: a rollout is scored as the reward stage rendered
// its pairs (and eval and label score answers), a complete assistant turn of
// the chat template, whether the response stopped or ran out of tokens.
func TestPPOScoresWholeTurns(t *testing.T) {
	f := fixture(t)
	p, err := preparePPO(context.Background(), testPPOConfig(), ppoInputs(f, writePPOPrompts(t, ppoNouns), ""), newRecEvents())
	if err != nil {
		t.Fatal(err)
	}
	enc := p.pol.Encoder
	user := []chat.Message{{Role: chat.RoleUser, Content: ppoPrompt(ppoNouns[0])}}
	prompt, _, err := enc.Encode(user, chat.Options{Generate: true})
	if err != nil {
		t.Fatal(err)
	}
	whole, _, err := enc.Encode(append(user, chat.Message{Role: chat.RoleAssistant, Content: "Cats are good."}), chat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(whole[:len(prompt)], prompt) {
		t.Fatalf("the rendered turn %v does not start with the prompt %v", whole, prompt)
	}
	tail := len(p.turnTail)
	if tail < 2 || p.turnTail[0] != p.eot {
		t.Fatalf("turn tail %v: want the end of turn %d and the template's text after it", p.turnTail, p.eot)
	}
	answer := whole[len(prompt) : len(whole)-tail]
	stopped := &rollout{prompt: prompt, response: append(slices.Clone(answer), p.eot)}
	cut := &rollout{prompt: prompt, response: slices.Clone(answer)}
	for name, r := range map[string]*rollout{"stopped": stopped, "cut": cut} {
		if got := p.scored(r); !slices.Equal(got, whole) {
			t.Errorf("%s: scored %v, want the whole turn %v", name, got, whole)
		}
	}
}
