package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
)

// peftExample copies examples/peft and the examples/sft data it reads from
// ../sft/data into a fresh tree and returns the example's directory.
func peftExample(t *testing.T) string {
	root := copyFiles(t, filepath.Join("..", "..", "examples"), "peft/pipeline.hcl", "sft/data/corpus.jsonl", "sft/data/chat.jsonl")
	return filepath.Join(root, "peft")
}

// TestPEFTExample runs examples/peft with short settings: one base tuned
// by lora, prefix, adapter and partial side by side and by sft, the LoRA
// adapter merged, evaluations, all through real plugin processes. The
// adapter records the digest of the base's weights; the merged checkpoint
// evaluates, chats and generates as the base with the adapter does; prefix
// and bottleneck adapters generate and chat through --adapter. Then it
// reproduces the run.
func TestPEFTExample(t *testing.T) {
	dir := peftExample(t)
	res := llmflow(t, dir, "run", "--json", "pipeline.hcl", "-var", "pretrain_steps=30", "-var", "tune_steps=20")
	if res.code != 0 {
		t.Fatalf("run: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, node := range []string{"stage.lora", "stage.prefix", "stage.adapter"} {
		outputDigest(t, res.stdout, node, "adapter")
	}
	outputDigest(t, res.stdout, "stage.partial", "model")
	for _, node := range []string{"stage.eval_prefix", "stage.eval_adapter", "stage.eval_partial", "stage.eval_full"} {
		outputDigest(t, res.stdout, node, "report")
	}
	checkLoRAArtifacts(t, dir, res.stdout)
	// The README's table comes from these metrics.
	show := llmflow(t, dir, "runs", "show", "latest")
	for _, node := range []string{"stage.lora", "stage.prefix", "stage.adapter", "stage.partial"} {
		for _, metric := range []string{"trainable_share", "trainable_params", "val_loss", "tokens_per_s"} {
			if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(node) + `\s+` + metric + `\s`).MatchString(show.stdout) {
				t.Errorf("runs show lists no %s for %s:\n%s", metric, node, show.stdout)
			}
		}
	}
	checkAdapterSampling(t, dir)
	rep := llmflow(t, dir, "reproduce", "latest")
	m := regexp.MustCompile(`(\d+)/(\d+) artifacts identical`).FindStringSubmatch(rep.stdout)
	if rep.code != 0 || m == nil || m[1] != m[2] {
		t.Fatalf("reproduce: %d\n%s%s", rep.code, rep.stdout, rep.stderr)
	}
	t.Logf("reproduce: %s", m[0])
}

// checkLoRAArtifacts checks the LoRA adapter and its merge in the run whose
// events are stdout: the adapter records the base's weights digest, the
// merged checkpoint carries the chat files and evaluates as the base with
// the adapter does.
func checkLoRAArtifacts(t *testing.T, dir, stdout string) {
	t.Helper()
	base := outputDigest(t, stdout, "stage.base", "model")
	adapter := outputDigest(t, stdout, "stage.lora", "adapter")
	merged := outputDigest(t, stdout, "merge.lora", "model")
	if a, b := outputDigest(t, stdout, "stage.eval_lora", "report"), outputDigest(t, stdout, "stage.eval_lora_adapter", "report"); a != b {
		t.Errorf("eval of the merged model gave report %s, eval with the adapter %s", a, b)
	}
	store, err := artifact.OpenStore(filepath.Join(dir, ".llmflow", "store"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(store.Path(adapter), "adapter_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := artifact.FileDigest(filepath.Join(store.Path(base), "model.safetensors"))
	if err != nil || !strings.Contains(string(b), want) {
		t.Errorf("adapter_config.json does not record the base digest %s: %v\n%s", want, err, b)
	}
	for _, f := range []string{chat.TokenizerConfigFile, chat.GenerationConfigFile, chat.SpecFile, "tokenizer.json", "model.safetensors"} {
		if _, err := os.Stat(filepath.Join(store.Path(merged), f)); err != nil {
			t.Errorf("the merged checkpoint: %v", err)
		}
	}
}

// checkAdapterSampling talks to and generates from the tuned models of the
// latest run: the base with the LoRA adapter answers as the merged model
// does, with the template the adapter carries; the base with the prefix
// or the bottleneck adapter answers too, each differently from the base.
func checkAdapterSampling(t *testing.T, dir string) {
	t.Helper()
	chatWith := func(args ...string) string {
		r := llmflowInput(t, dir, "What is 2 plus 3?\n", append([]string{"chat", "--temperature", "0", "--max-new-tokens", "20", "--json"}, args...)...)
		if r.code != 0 {
			t.Fatalf("chat %v: %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	if a, b := chatWith("--checkpoint", "stage.base", "--adapter", "stage.lora"), chatWith("--checkpoint", "merge.lora"); a != b {
		t.Errorf("chat --adapter stage.lora:\n%s\nthe merged model:\n%s", a, b)
	}
	gen := func(args ...string) string {
		r := llmflow(t, dir, append([]string{"generate", "--prompt", "The capital of Peru is", "--temperature", "0", "--max-tokens", "12"}, args...)...)
		if r.code != 0 {
			t.Fatalf("generate %v: %d\n%s", args, r.code, r.stderr)
		}
		return r.stdout
	}
	if a, b := gen("--checkpoint", "stage.base", "--adapter", "stage.lora"), gen("--checkpoint", "merge.lora"); a != b {
		t.Errorf("generate --adapter gives %q, the merged model %q", a, b)
	}
	plain := gen("--checkpoint", "stage.base")
	for _, node := range []string{"stage.prefix", "stage.adapter"} {
		if out := gen("--checkpoint", "stage.base", "--adapter", node); out == plain {
			t.Errorf("generate --adapter %s gives the base's own text %q", node, out)
		}
		chatWith("--checkpoint", "stage.base", "--adapter", node)
	}
}

// TestPEFTResumeAfterSIGKILL kills `llmflow run` of examples/peft once a
// tuning stage has saved a checkpoint; the LoRA stage's adapter tensors and
// dropout RNG must be restored with the base, so its adapter comes out as
// an uninterrupted run's.
func TestPEFTResumeAfterSIGKILL(t *testing.T) {
	vars := []string{"-var", "pretrain_steps=30", "-var", "tune_steps=30", "-var", "save_every=5"}
	resumeAfterSIGKILL(t, peftExample(t), "pipeline.hcl", "stage.lora", "adapter", vars)
}
