package eval

import (
	"context"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
)

// rewardModel writes a randomly initialised reward model that reads text
// with the tokenizer of the checkpoint in dir, grown by the plain chat
// template's tokens, as the reward stage's output does.
func rewardModel(t *testing.T, dir string) string {
	t.Helper()
	tok, err := tokenizer.Load(filepath.Join(dir, model.TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := chat.Builtin(chat.Plain)
	if err != nil {
		t.Fatal(err)
	}
	if tok, _, err = chat.AddTokens(tok, tmpl); err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), NPositions: 64, NLayer: 1, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(3)
	h, err := m.AttachScore(5)
	if err != nil {
		t.Fatal(err)
	}
	pad, _ := tok.SpecialID(chat.TokenPad)
	rm := filepath.Join(t.TempDir(), "reward")
	if err := model.SaveReward(rm, m, h, int(pad), ""); err != nil {
		t.Fatal(err)
	}
	if err := chat.WriteHFFiles(rm, tok, tmpl, m.Config.NPositions); err != nil {
		t.Fatal(err)
	}
	return rm
}

// TestRewardModelScores: every generated answer is scored by the reward
// model exactly as model.Scores scores the question as a user turn and the
// answer as the reply, for any batch size; the report holds the mean, the
// spread and the t interval of the mean.
func TestRewardModelScores(t *testing.T) {
	dir := qaModel(t)
	rm := rewardModel(t, dir)
	prompts := ingestJSONL(t, `{"question": "cat", "answer": "#### 4"}`, `{"question": "dog", "answer": "#### 7"}`,
		`{"question": "cow", "answer": "#### 1"}`)
	run := func(batch int) (Report, map[string][]string, map[string]float64) {
		out := t.TempDir()
		req := promptRequest(dir, prompts, out, map[string]cty.Value{"scorers": cty.ListVal([]cty.Value{cty.StringVal(ScoreContains)}),
			"batch_size": cty.NumberIntVal(int64(batch))})
		req.Inputs["reward_model"] = sdk.Input{Path: rm}
		ev := &events{map[string]float64{}}
		if err := (Stage{}).Run(context.Background(), req, ev); err != nil {
			t.Fatal(err)
		}
		return readReport(t, out), readExamples(t, out), ev.metrics
	}
	rep, ex, metrics := run(1)

	m, h, _, err := model.LoadReward(rm)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(filepath.Join(rm, model.TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := chat.Builtin(chat.Plain)
	enc, err := chat.NewEncoder(tmpl, tok)
	if err != nil {
		t.Fatal(err)
	}
	var seqs [][]int32
	for i, q := range []string{"cat", "dog", "cow"} {
		conv := []chat.Message{{Role: chat.RoleUser, Content: "Q: " + q + "? A:"}, {Role: chat.RoleAssistant, Content: strings.TrimSpace(ex["generation"][i])}}
		ids, _, err := enc.Encode(conv, chat.Options{})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, ids)
	}
	want, err := model.Scores(m, h, seqs, 3)
	if err != nil {
		t.Fatal(err)
	}
	var xs []float64
	for i, w := range want {
		got, err := strconv.ParseFloat(ex["reward"][i], 64)
		if err != nil || got != float64(w) {
			t.Errorf("answer %d %q: reward %s, model.Scores gives %g", i, ex["generation"][i], ex["reward"][i], w)
		}
		xs = append(xs, float64(w))
	}
	if strings.TrimSpace(ex["generation"][0]) != "#### 4" {
		t.Errorf("generation %q: the trained model should answer #### 4", ex["generation"][0])
	}
	mean, std, lo, hi := MeanInterval(xs)
	r := rep.Prompting.Reward
	if r == nil || r.N != 3 || math.Abs(r.Mean-mean) > 1e-12 || math.Abs(r.Std-std) > 1e-12 || r.MeanLo == nil || math.Abs(*r.MeanLo-lo) > 1e-12 || math.Abs(*r.MeanHi-hi) > 1e-12 {
		t.Errorf("report reward %+v, want mean %g std %g [%g, %g]", r, mean, std, lo, hi)
	}
	if metrics["reward_mean"] != r.Mean || metrics["reward_std"] != r.Std || metrics["reward_mean_lo"] != lo || metrics["reward_mean_hi"] != hi {
		t.Errorf("metrics %v disagree with the report", metrics)
	}
	if _, ok := rep.Prompting.Rates[ScoreContains]; !ok {
		t.Errorf("the contains rate is missing beside the reward")
	}
	if _, ex3, _ := run(3); strings.Join(ex3["reward"], ",") != strings.Join(ex["reward"], ",") {
		t.Errorf("rewards with batch_size 3 %v differ from batch_size 1 %v", ex3["reward"], ex["reward"])
	}
}

// TestRewardModelAlone: a reward model is enough to make eval generate,
// with no other scorer; it needs prompts to score answers to.
func TestRewardModelAlone(t *testing.T) {
	dir := qaModel(t)
	rm := rewardModel(t, dir)
	prompts := ingestJSONL(t, `{"question": "cat"}`)
	out := t.TempDir()
	req := promptRequest(dir, prompts, out, map[string]cty.Value{"scorers": cty.ListValEmpty(cty.String)})
	req.Inputs["reward_model"] = sdk.Input{Path: rm}
	if err := (Stage{}).Run(context.Background(), req, &events{map[string]float64{}}); err != nil {
		t.Fatal(err)
	}
	rep := readReport(t, out)
	if r := rep.Prompting.Reward; r == nil || r.N != 1 || r.MeanLo != nil || len(readExamples(t, out)["reward"]) != 1 {
		t.Errorf("one answer: reward summary %+v", r)
	}
	req = &sdk.RunRequest{Config: cty.EmptyObjectVal, OutputDir: t.TempDir(), Inputs: map[string]sdk.Input{"model": {Path: dir}, "reward_model": {Path: rm}}}
	req.Config = cty.ObjectVal(map[string]cty.Value{"prompts": cty.ListVal([]cty.Value{cty.StringVal("Q: cat? A:")})})
	if err := (Stage{}).Run(context.Background(), req, &events{map[string]float64{}}); err == nil || !strings.Contains(err.Error(), "without \"prompts\"") {
		t.Errorf("reward_model without prompts: err = %v", err)
	}
	req = promptRequest(dir, prompts, t.TempDir(), nil)
	req.Inputs["reward_model"] = sdk.Input{Path: dir}
	if err := (Stage{}).Run(context.Background(), req, &events{map[string]float64{}}); err == nil || !strings.Contains(err.Error(), "reward_model") {
		t.Errorf("a plain checkpoint as reward_model: err = %v", err)
	}
}
