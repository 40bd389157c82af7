package align

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/instruction"
	"github.com/llmflow/llmflow/dataprep/preference"
	"github.com/llmflow/llmflow/model/kernel"
	"github.com/llmflow/llmflow/plugins/sdk"
)

// trainedReward trains a reward model a few steps on testPairs.
func trainedReward(t *testing.T, base string) string {
	t.Helper()
	ev, err := runStage(t, RewardStage{}, stageConfig(map[string]cty.Value{"max_steps": cty.NumberIntVal(6)}), t.TempDir(),
		map[string]string{"model": base, "data": writePairs(t, testPairs(24))})
	if err != nil {
		t.Fatal(err)
	}
	return ev.outputs["model"]
}

// runLabel runs the label stage with cfg on inputs (name → path; prompts
// of the given kind).
func runLabel(t *testing.T, cfg map[string]cty.Value, promptsKind string, inputs map[string]string) (*recEvents, error) {
	t.Helper()
	c := cty.ObjectVal(cfg)
	if len(cfg) == 0 {
		c = cty.EmptyObjectVal
	}
	if diags := (LabelStage{}).Validate(context.Background(), c); diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	req := &sdk.RunRequest{Config: c, OutputDir: t.TempDir(), Seed: 3, Inputs: map[string]sdk.Input{}}
	for name, path := range inputs {
		kind := artifact.KindCheckpoint
		if name == "prompts" {
			kind = promptsKind
		}
		req.Inputs[name] = sdk.Input{Path: path, Kind: kind}
	}
	ev := newRecEvents()
	return ev, LabelStage{}.Run(context.Background(), req, ev)
}

func smallLabel(extra map[string]cty.Value) map[string]cty.Value {
	c := map[string]cty.Value{"k": cty.NumberIntVal(3), "max_new_tokens": cty.NumberIntVal(6), "batch_size": cty.NumberIntVal(4)}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func TestLabelWithRewardModel(t *testing.T) {
	base := chatCheckpoint(t)
	rm := trainedReward(t, base)
	human := testPairs(9)
	ev, err := runLabel(t, smallLabel(nil), artifact.KindPreference,
		map[string]string{"model": base, "prompts": writePairs(t, human), "reward_model": rm})
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := preference.Read(context.Background(), ev.outputs["data"])
	if err != nil {
		t.Fatal(err)
	}
	kept, dropped := ev.last(t, "pairs_kept"), ev.last(t, "pairs_dropped")
	if ev.last(t, "prompts") != 9 || kept+dropped != 9 || int(kept) != len(pairs) || len(pairs) == 0 {
		t.Fatalf("prompts %g, kept %g, dropped %g, %d pairs written", ev.last(t, "prompts"), kept, dropped, len(pairs))
	}
	// Each pair is the best over the worst of its prompt's answers, as the
	// reward model scores them.
	sc, err := loadRewardScorer(rm)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pairs {
		s, err := sc.Score([]scoreItem{{Prompt: p.Prompt, Answer: p.Chosen}, {Prompt: p.Prompt, Answer: p.Rejected}}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !(s[0] > s[1]) {
			t.Errorf("pair %s: chosen scores %g, rejected %g", p.ID, s[0], s[1])
		}
	}
	// Agreement: recomputed from the scores of the human pairs.
	hits := 0
	for _, h := range human {
		s, _ := sc.Score([]scoreItem{{Prompt: h.Prompt, Answer: h.Chosen}, {Prompt: h.Prompt, Answer: h.Rejected}}, 1)
		if s[0] > s[1] {
			hits++
		}
	}
	lo, a, hi := ev.last(t, "agreement_lo"), ev.last(t, "agreement"), ev.last(t, "agreement_hi")
	if a != float64(hits)/9 || !(lo <= a && a <= hi) || ev.last(t, "human_pairs") != 9 {
		t.Errorf("agreement %g [%g, %g], want %d/9", a, lo, hi, hits)
	}
	if spread := ev.last(t, "mean_score_spread"); !(spread > 0) {
		t.Errorf("mean spread %g", spread)
	}

	// A margin above every spread keeps nothing.
	ev, err = runLabel(t, smallLabel(map[string]cty.Value{"min_margin": cty.NumberFloatVal(1e6)}), artifact.KindPreference,
		map[string]string{"model": base, "prompts": writePairs(t, human), "reward_model": rm})
	if err != nil || ev.last(t, "pairs_kept") != 0 {
		t.Errorf("min_margin 1e6: %v, kept %g", err, ev.last(t, "pairs_kept"))
	}
}

// TestLabelDeterministic: batch size and thread count change no byte of
// the output.
func TestLabelDeterministic(t *testing.T) {
	base := chatCheckpoint(t)
	rm := trainedReward(t, base)
	prompts := writePairs(t, testPairs(6))
	var ref []byte
	for _, tc := range []struct{ batch, threads int }{{4, 1}, {1, 2}, {5, 2}} {
		t.Run(fmt.Sprintf("batch%d_threads%d", tc.batch, tc.threads), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(tc.threads))
			kernel.SetThreads(tc.threads)
			defer kernel.SetThreads(0)
			ev, err := runLabel(t, smallLabel(map[string]cty.Value{"batch_size": cty.NumberIntVal(int64(tc.batch))}), artifact.KindPreference,
				map[string]string{"model": base, "prompts": prompts, "reward_model": rm})
			if err != nil {
				t.Fatal(err)
			}
			got := datasetBytes(t, ev.outputs["data"])
			if ref == nil {
				ref = got
			} else if !bytes.Equal(got, ref) {
				t.Error("the labelled pairs differ from the first run's")
			}
		})
	}
}

// datasetBytes concatenates a dataset directory's files in name order.
func datasetBytes(t *testing.T, dir string) []byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in %s: %v", dir, err)
	}
	var out []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(out, f[len(dir):]...), b...)
	}
	return out
}

// TestLabelWithJudge labels an instruction dataset's prompts with a judge,
// a LoRA policy sampling the answers.
func TestLabelWithJudge(t *testing.T) {
	base := chatCheckpoint(t)
	var jsonl strings.Builder
	for _, p := range testPairs(5) {
		fmt.Fprintf(&jsonl, "{\"prompt\": %q, \"response\": %q}\n", p.Prompt[len(p.Prompt)-1].Content, p.Chosen)
	}
	src := filepath.Join(t.TempDir(), "prompts.jsonl")
	if err := os.WriteFile(src, []byte(jsonl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	prompts := filepath.Join(t.TempDir(), "prompts")
	c := instruction.DefaultConfig()
	c.Shape = instruction.ShapePromptResponse
	if _, err := instruction.Ingest(context.Background(), []string{src}, prompts, c); err != nil {
		t.Fatal(err)
	}
	ev, err := runLabel(t, smallLabel(map[string]cty.Value{"judge_yes": cty.StringVal(" plus"), "judge_no": cty.StringVal(" know")}),
		artifact.KindInstruction, map[string]string{"model": base, "adapter": loraAdapter(t, base), "prompts": prompts, "judge": base})
	if err != nil {
		t.Fatal(err)
	}
	if ev.last(t, "prompts") != 5 || ev.last(t, "pairs_kept")+ev.last(t, "pairs_dropped") != 5 {
		t.Errorf("metrics %v", ev.metrics)
	}
	if _, ok := ev.metrics["agreement"]; ok {
		t.Error("agreement reported without human labels")
	}

	// The judge's score is the log-odds of its verdict, alone or batched.
	p, err := LoadPolicy(base, "")
	if err != nil {
		t.Fatal(err)
	}
	j, err := loadJudgeScorer(base, LabelConfig{JudgeTemplate: "Q {prompt} A {response} ok?", JudgeYes: " plus", JudgeNo: " know"})
	if err != nil {
		t.Fatal(err)
	}
	pairs := testPairs(3)
	items := []scoreItem{{Prompt: pairs[0].Prompt, Answer: "5"}, {Prompt: pairs[1].Prompt, Answer: "a longer answer"}, {Prompt: pairs[2].Prompt, Answer: "x"}}
	batched, err := j.Score(items, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		alone, _ := j.Score([]scoreItem{it}, 1)
		q := "Q " + promptText(it.Prompt) + " A " + it.Answer + " ok?"
		ctx, _, _ := p.Encoder.Encode([]chat.Message{{Role: chat.RoleUser, Content: q}}, chat.Options{Generate: true})
		yes := Sequence{IDs: append(append([]int32(nil), ctx...), p.Tokenizer.Encode([]byte(" plus"))...)}
		no := Sequence{IDs: append(append([]int32(nil), ctx...), p.Tokenizer.Encode([]byte(" know"))...)}
		for _, s := range []*Sequence{&yes, &no} {
			s.Mask = make([]uint8, len(s.IDs))
			for k := len(ctx); k < len(s.IDs); k++ {
				s.Mask[k] = 1
			}
		}
		lp, err := SequenceLogProbs(p.Model, []Sequence{yes, no}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if want := lp.Sum[0] - lp.Sum[1]; alone[0] != batched[i] || math.Abs(alone[0]-want) > 1e-9 {
			t.Errorf("item %d: batched %g, alone %g, want %g", i, batched[i], alone[0], want)
		}
	}
}

func TestLabelInputErrors(t *testing.T) {
	base := chatCheckpoint(t)
	prompts := writePairs(t, testPairs(3))
	for _, tc := range []struct {
		name   string
		inputs map[string]string
		want   string
	}{
		{"neither scorer", map[string]string{"model": base, "prompts": prompts}, "give exactly one"},
		{"both scorers", map[string]string{"model": base, "prompts": prompts, "judge": base, "reward_model": base}, "give exactly one"},
		{"policy as reward model", map[string]string{"model": base, "prompts": prompts, "reward_model": base}, "architectures"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runLabel(t, smallLabel(nil), artifact.KindPreference, tc.inputs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	_, err := runLabel(t, smallLabel(nil), artifact.KindText, map[string]string{"model": base, "prompts": prompts, "judge": base})
	if err == nil || !strings.Contains(err.Error(), "want an instruction or a preference dataset") {
		t.Errorf("text prompts: %v", err)
	}
	for attr, v := range map[string]cty.Value{
		"judge_template": cty.StringVal("no placeholders"), "k": cty.NumberIntVal(1),
		"temperature": cty.NumberIntVal(0), "judge_no": cty.StringVal(" Yes"),
	} {
		diags := LabelStage{}.Validate(context.Background(), cty.ObjectVal(map[string]cty.Value{attr: v}))
		if !diags.HasErrors() || !strings.Contains(diags.Err().Error(), attr) {
			t.Errorf("%s = %#v: %v, want an error naming it", attr, v, diags.Err())
		}
	}
}
