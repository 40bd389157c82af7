package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/pipeline/runstore"
)

// shortRLHF are variables that make examples/rlhf a test: fewer steps of
// every training stage and a third of the questions labelled.
var shortRLHF = []string{"-var", "pretrain_steps=40", "-var", "sft_steps=40", "-var", "reward_steps=40",
	"-var", "ppo_steps=3", "-var", "dpo_steps=15", "-var", "label_prompts=24", "-var", "min_margin=0"}

// runMetrics collects the last value of every metric in a run's JSON
// events, keyed "node name".
func runMetrics(t *testing.T, events string) map[string]float64 {
	t.Helper()
	metrics := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(events), "\n") {
		var ev struct {
			Type, Node, Name string
			Value            float64
			Metrics          map[string]float64
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		switch ev.Type {
		case "node_metric":
			metrics[ev.Node+" "+ev.Name] = ev.Value
		case "node_finished":
			for k, v := range ev.Metrics {
				metrics[ev.Node+" "+k] = v
			}
		}
	}
	return metrics
}

// TestRLHFExample runs examples/rlhf with short settings: the dataprep
// nodes, pretrain, sft, reward, ppo, logps, dpo, label and the eval stages
// scoring each policy's answers with the reward model, every stage its own
// plugin process; then reproduces the run.
func TestRLHFExample(t *testing.T) {
	root := copyFiles(t, filepath.Join("..", "..", "examples", "rlhf"), "pipeline.hcl", "data/web.jsonl",
		"data/chat.jsonl", "data/prefs.jsonl", "data/questions.jsonl", "data/held_out.jsonl")
	res := llmflow(t, root, append([]string{"run", "--json", "pipeline.hcl"}, shortRLHF...)...)
	if res.code != 0 {
		t.Fatalf("run: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	stages := map[string]string{"stage.base": "pretrain", "stage.chat": "sft", "stage.rm": "reward", "stage.rl": "ppo",
		"stage.ref": "logps", "stage.dpo": "dpo", "stage.ai": "label", "stage.rlaif": "dpo",
		"stage.eval_sft": "eval", "stage.eval_ppo": "eval", "stage.eval_dpo": "eval", "stage.eval_rlaif": "eval"}
	db, err := runstore.OpenReadOnly(filepath.Join(root, ".llmflow", "llmflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	id, err := db.ResolveRunID(ctx, "latest")
	if err != nil {
		t.Fatal(err)
	}
	run, err := db.GetRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]bool{}
	for _, n := range run.Nodes {
		kind, ok := stages[n.Addr]
		if !ok {
			continue
		}
		// A plugin identity (name and binary checksum) is recorded only
		// for a stage served by a plugin process.
		if n.Status != runstore.StatusSucceeded || n.Plugin.Name != kind || n.Plugin.SHA256 == "" {
			t.Errorf("%s: status %s, plugin %+v; want %s run by its plugin", n.Addr, n.Status, n.Plugin, kind)
		}
		ran[n.Addr] = true
	}
	if len(ran) != len(stages) {
		t.Errorf("ran %v, want every one of %v", ran, stages)
	}

	m := runMetrics(t, res.stdout)
	for _, key := range []string{"clean.web docs_dropped", "dedup.web kept", "stage.rm val/accuracy", "stage.rl eval/kl_after",
		"stage.dpo eval_rewards/accuracies", "stage.ai pairs_kept"} {
		if _, ok := m[key]; !ok {
			t.Errorf("no metric %s", key)
		}
	}
	// The corpus holds junk lines and near-duplicates the nodes remove.
	if m["clean.web docs_dropped"] < 1 || m["dedup.web kept"] >= m["dedup.web docs"] || m["stage.ai pairs_kept"] < 1 {
		t.Errorf("clean dropped %g documents, dedup kept %g of %g, label kept %g pairs",
			m["clean.web docs_dropped"], m["dedup.web kept"], m["dedup.web docs"], m["stage.ai pairs_kept"])
	}
	// Even a short run learns the pairs: the reward model and DPO's
	// implicit reward rank held-out pairs better than a coin.
	if a := m["stage.rm val/accuracy"]; !(a > 0.5) {
		t.Errorf("reward model held-out accuracy %g", a)
	}
	if a := m["stage.dpo eval_rewards/accuracies"]; !(a > 0.5) {
		t.Errorf("DPO held-out accuracy %g", a)
	}
	for _, node := range []string{"stage.eval_sft", "stage.eval_ppo", "stage.eval_dpo", "stage.eval_rlaif"} {
		lo, mean, hi := m[node+" reward_mean_lo"], m[node+" reward_mean"], m[node+" reward_mean_hi"]
		if m[node+" n"] != 60 || !(lo < mean && mean < hi) || m[node+" reward_std"] <= 0 {
			t.Errorf("%s: reward %g [%g, %g] over %g answers", node, mean, lo, hi, m[node+" n"])
		}
		if _, ok := m[node+" contains"]; !ok {
			t.Errorf("%s: no contains rate", node)
		}
	}
	// PPO's held-out score before training is the sft policy's, read by
	// the same reward model as eval_sft's.
	if kl := m["stage.rl eval/kl_before"]; kl != 0 {
		t.Errorf("PPO's KL before training %g, want 0", kl)
	}

	rep := llmflow(t, root, "reproduce", "latest")
	rm := regexp.MustCompile(`(\d+)/(\d+) artifacts identical`).FindStringSubmatch(rep.stdout)
	if rep.code != 0 || rm == nil || rm[1] != rm[2] {
		t.Fatalf("reproduce: %d\n%s%s", rep.code, rep.stdout, rep.stderr)
	}
	t.Logf("reproduce: %s", rm[0])
}
