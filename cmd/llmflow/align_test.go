package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/model"
)

// alignStages follow examples/sft's pipeline: a reward model, stored
// reference log-probs and DPO on them, all on preference pairs made from
// the example's questions (a right answer over another question's).
const alignStages = `
variable "align_steps" {
  type    = number
  default = 6
}

variable "beta" {
  type    = number
  default = 0.1
}

preferences "prefs" {
  path         = "data/prefs.jsonl"
  shape        = "pairs"
  val_fraction = 0.2
}

stage "reward" "rm" {
  model = stage.chat
  data  = preferences.prefs
  val   = preferences.prefs.val
  config {
    max_steps  = var.align_steps
    log_every  = 2
    save_every = var.save_every
  }
}

stage "logps" "ref" {
  model = stage.chat
  data  = preferences.prefs
}

stage "dpo" "aligned" {
  model = stage.chat
  data  = stage.ref.data
  val   = preferences.prefs.val
  config {
    beta       = var.beta
    max_steps  = var.align_steps
    log_every  = 2
    save_every = var.save_every
  }
}
`

// alignExample copies examples/sft and adds the alignment stages (all of
// them, or with dpoOnly the dpo stage alone) and a preference file.
func alignExample(t *testing.T, dpoOnly bool) string {
	dir := sftExample(t)
	b, err := os.ReadFile(filepath.Join(dir, "data", "chat.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []struct{ Question, Answer string }
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r struct{ Question, Answer string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	var prefs []byte
	for i, r := range recs[:min(len(recs), 120)] {
		other := recs[(i+7)%len(recs)].Answer
		if other == r.Answer {
			continue
		}
		line, _ := json.Marshal(map[string]string{"prompt": r.Question, "chosen": r.Answer, "rejected": other})
		prefs = append(append(prefs, line...), '\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "prefs.jsonl"), prefs, 0o644); err != nil {
		t.Fatal(err)
	}
	stages := alignStages
	if dpoOnly {
		stages = stages[:strings.Index(stages, `stage "reward"`)] + stages[strings.Index(stages, `stage "dpo"`):]
		stages = strings.Replace(stages, "stage.ref.data", "preferences.prefs", 1)
	}
	hcl, err := os.ReadFile(filepath.Join(dir, "pipeline.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "align.hcl"), append(hcl, stages...), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestAlignPipeline runs sft -> reward, logps -> dpo with real plugin
// processes: the reward model loads in its transformers layout, dpo reads
// the stored reference log-probs, and a rerun reproduces every artifact.
func TestAlignPipeline(t *testing.T) {
	dir := alignExample(t, false)
	res := llmflow(t, dir, append([]string{"run", "--json", "align.hcl", "-var", "align_steps=6"}, shortSFT...)...)
	if res.code != 0 {
		t.Fatalf("run: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	store, err := artifact.OpenStore(filepath.Join(dir, ".llmflow", "store"))
	if err != nil {
		t.Fatal(err)
	}
	rm := outputDigest(t, res.stdout, "stage.rm", "model")
	if _, _, _, err := model.LoadReward(store.Path(rm)); err != nil {
		t.Fatalf("the reward stage's output: %v", err)
	}
	outputDigest(t, res.stdout, "stage.ref", "data")
	outputDigest(t, res.stdout, "stage.aligned", "model")
	for _, want := range []string{"using the stored reference log-probs", `"name":"eval_rewards/accuracies"`, `"name":"val/accuracy"`} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the run's events lack %s", want)
		}
	}
	// Another β re-runs only dpo: the reference log-probs come from the
	// cache.
	again := llmflow(t, dir, append([]string{"run", "--json", "align.hcl", "-var", "align_steps=6", "-var", "beta=0.3"}, shortSFT...)...)
	if started := startedNodes(again.stdout); again.code != 0 || len(started) != 1 || started[0] != "stage.aligned" {
		t.Errorf("a rerun with another beta did not run dpo alone: %d\n%s", again.code, again.stdout)
	}
	rep := llmflow(t, dir, "reproduce", "latest")
	m := regexp.MustCompile(`(\d+)/(\d+) artifacts identical`).FindStringSubmatch(rep.stdout)
	if rep.code != 0 || m == nil || m[1] != m[2] {
		t.Fatalf("reproduce: %d\n%s%s", rep.code, rep.stdout, rep.stderr)
	}
	t.Logf("reproduce: %s/%s artifacts identical", m[1], m[2])
}

// TestDPOResumeAfterSIGKILL kills `llmflow run` in the middle of the dpo
// stage, after it saved a checkpoint; the next run resumes and writes the
// same model, byte for byte, as a run never interrupted.
func TestDPOResumeAfterSIGKILL(t *testing.T) {
	vars := append([]string{"-var", "align_steps=60", "-var", "save_every=5"}, shortSFT...)
	resumeAfterSIGKILLPast(t, alignExample(t, true), "align.hcl", "stage.chat", "stage.aligned", "model", vars)
}

// startedNodes lists the nodes a run's JSON events say were started.
func startedNodes(events string) []string {
	var out []string
	for _, line := range strings.Split(events, "\n") {
		var ev struct{ Type, Node string }
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "node_started" {
			out = append(out, ev.Node)
		}
	}
	return out
}
