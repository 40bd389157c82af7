package main

import (
	"path/filepath"
	"regexp"
	"testing"
)

// TestPEFTExample runs examples/peft with short settings: one base tuned
// by lora, prefix, adapter and partial side by side and by sft, the LoRA
// adapter merged, evaluations, all through real plugin processes; then
// reproduces the run.
func TestPEFTExample(t *testing.T) {
	// The example reads examples/sft's data from ../sft/data.
	root := copyFiles(t, filepath.Join("..", "..", "examples"), "peft/pipeline.hcl", "sft/data/corpus.jsonl", "sft/data/chat.jsonl")
	dir := filepath.Join(root, "peft")
	res := llmflow(t, dir, "run", "--json", "pipeline.hcl", "-var", "pretrain_steps=30", "-var", "tune_steps=20")
	if res.code != 0 {
		t.Fatalf("run: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, node := range []string{"stage.lora", "stage.prefix", "stage.adapter"} {
		outputDigest(t, res.stdout, node, "adapter")
	}
	outputDigest(t, res.stdout, "stage.partial", "model")
	outputDigest(t, res.stdout, "merge.lora", "model")
	for _, node := range []string{"stage.eval_lora", "stage.eval_partial", "stage.eval_full"} {
		outputDigest(t, res.stdout, node, "report")
	}
	// The README's table comes from these metrics.
	show := llmflow(t, dir, "runs", "show", "latest")
	for _, node := range []string{"stage.lora", "stage.prefix", "stage.adapter", "stage.partial"} {
		for _, metric := range []string{"trainable_share", "val_loss", "tokens_per_s"} {
			if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(node) + `\s+` + metric + `\s`).MatchString(show.stdout) {
				t.Errorf("runs show lists no %s for %s:\n%s", metric, node, show.stdout)
			}
		}
	}
	rep := llmflow(t, dir, "reproduce", "latest")
	m := regexp.MustCompile(`(\d+)/(\d+) artifacts identical`).FindStringSubmatch(rep.stdout)
	if rep.code != 0 || m == nil || m[1] != m[2] {
		t.Fatalf("reproduce: %d\n%s%s", rep.code, rep.stdout, rep.stderr)
	}
	t.Logf("reproduce: %s", m[0])
}
