package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
)

// sftExample copies examples/sft into a fresh directory.
func sftExample(t *testing.T) string {
	return copyFiles(t, filepath.Join("..", "..", "examples", "sft"), "pipeline.hcl", "data/corpus.jsonl", "data/chat.jsonl")
}

// shortSFT are variables that make the sft example a test: a few pretraining
// and fine-tuning steps.
var shortSFT = []string{"-var", "pretrain_steps=30", "-var", "sft_steps=40"}

// TestSFTPipeline runs text -> tokenizer -> pretrain -> instructions -> sft
// -> eval with real plugin processes, answers a prompt with the chat
// template the checkpoint carries, and reproduces the run.
func TestSFTPipeline(t *testing.T) {
	dir := sftExample(t)
	res := llmflow(t, dir, append([]string{"run", "--json", "pipeline.hcl"}, shortSFT...)...)
	if res.code != 0 {
		t.Fatalf("run: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	digest := outputDigest(t, res.stdout, "stage.chat", "model")
	outputDigest(t, res.stdout, "stage.report", "report")
	store, err := artifact.OpenStore(filepath.Join(dir, ".llmflow", "store"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{chat.TokenizerConfigFile, chat.GenerationConfigFile, chat.SpecFile, "tokenizer.json", "model.safetensors"} {
		if _, err := os.Stat(filepath.Join(store.Path(digest), f)); err != nil {
			t.Errorf("the sft checkpoint: %v", err)
		}
	}
	// The checkpoint's template is read back from its tokenizer_config.json.
	ans := llmflowInput(t, dir, "What is 2 plus 3?\n", "chat", "--checkpoint", digest, "--temperature", "0", "--max-new-tokens", "20", "--json")
	var turn struct{ Assistant, Stop string }
	if err := json.Unmarshal([]byte(ans.stdout), &turn); ans.code != 0 || err != nil || turn.Stop != "eos" || strings.Contains(turn.Assistant, "<|im_start|>") {
		t.Errorf("chat: %d %v\n%s%s", ans.code, err, ans.stdout, ans.stderr)
	}
	rep := llmflow(t, dir, "reproduce", "latest")
	m := regexp.MustCompile(`(\d+)/(\d+) artifacts identical`).FindStringSubmatch(rep.stdout)
	if rep.code != 0 || m == nil || m[1] != m[2] {
		t.Fatalf("reproduce: %d\n%s%s", rep.code, rep.stdout, rep.stderr)
	}
}

// TestSFTResumeAfterSIGKILL kills `llmflow run` in the middle of the sft
// stage, after it saved a checkpoint, and checks that the next run resumes
// and writes the same model, byte for byte, as a run never interrupted.
func TestSFTResumeAfterSIGKILL(t *testing.T) {
	vars := []string{"-var", "pretrain_steps=30", "-var", "sft_steps=120", "-var", "save_every=20"}
	resumeAfterSIGKILL(t, sftExample(t), "pipeline.hcl", "stage.chat", "model", vars)
}

// TestPEFTResumeAfterSIGKILL does the same to the LoRA stage, whose
// adapter tensors and dropout RNG must be restored with the base.
func TestPEFTResumeAfterSIGKILL(t *testing.T) {
	dir := copyFiles(t, filepath.Join("..", "..", "examples", "sft"), "peft.hcl", "data/corpus.jsonl", "data/chat.jsonl")
	vars := []string{"-var", "pretrain_steps=30", "-var", "peft_steps=120", "-var", "save_every=20"}
	resumeAfterSIGKILL(t, dir, "peft.hcl", "stage.lora", "adapter", vars)
}

// resumeAfterSIGKILL runs file in dir, kills llmflow once a training stage
// after stage.base has saved a checkpoint, runs again, and requires the
// output of node to match that of an uninterrupted run in a fresh store.
func resumeAfterSIGKILL(t *testing.T, dir, file, node, output string, vars []string) {
	t.Helper()
	resumeAfterSIGKILLPast(t, dir, file, "stage.base", node, output, vars)
}

// resumeAfterSIGKILLPast is resumeAfterSIGKILL with the kill coming once a
// training stage after the node past has saved a checkpoint.
func resumeAfterSIGKILLPast(t *testing.T, dir, file, past, node, output string, vars []string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"run", "--json", file}, vars...)...)
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Pretraining saves a training state too; wait until it has finished.
	var pretrained atomic.Bool
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if strings.Contains(sc.Text(), `"node_finished"`) && strings.Contains(sc.Text(), `"node":"`+past+`"`) {
				pretrained.Store(true)
			}
		}
	}()
	saved := filepath.Join(dir, ".llmflow", "store", "tmp", "stage-*", "model", "training_state.json")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if m, _ := filepath.Glob(saved); len(m) > 0 && pretrained.Load() {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("%s saved no checkpoint within 3 minutes", node)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	res := llmflow(t, dir, append([]string{"run", "--json", file}, vars...)...)
	if res.code != 0 {
		t.Fatalf("resumed run: %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, "resuming from the checkpoint saved at step") {
		t.Errorf("the resumed run did not report resuming from the checkpoint:\n%s", res.stdout)
	}
	resumed := outputDigest(t, res.stdout, node, output)
	fresh := llmflow(t, dir, append([]string{"run", "--json", "--store", "fresh-store", "--db", "fresh.db", file}, vars...)...)
	if fresh.code != 0 {
		t.Fatalf("uninterrupted run: %d\n%s", fresh.code, fresh.stderr)
	}
	if want := outputDigest(t, fresh.stdout, node, output); resumed != want {
		t.Errorf("resumed %s %s differs from the uninterrupted %s", output, resumed, want)
	}
	os.RemoveAll(filepath.Join(dir, "fresh-store"))
}

// TestPEFTPipeline runs examples/sft/peft.hcl: pretrain -> peft LoRA on
// instructions -> merge -> eval with real plugin processes. The adapter
// records the digest of the base's weights, and the merged checkpoint
// answers through the chat template the adapter was trained with.
func TestPEFTPipeline(t *testing.T) {
	dir := copyFiles(t, filepath.Join("..", "..", "examples", "sft"), "peft.hcl", "data/corpus.jsonl", "data/chat.jsonl")
	res := llmflow(t, dir, "run", "--json", "peft.hcl", "-var", "pretrain_steps=30", "-var", "peft_steps=40")
	if res.code != 0 {
		t.Fatalf("run: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	base := outputDigest(t, res.stdout, "stage.base", "model")
	adapter := outputDigest(t, res.stdout, "stage.lora", "adapter")
	merged := outputDigest(t, res.stdout, "merge.chat", "model")
	// eval with the adapter input measures what eval of the merged model does.
	if a, b := outputDigest(t, res.stdout, "stage.report", "report"), outputDigest(t, res.stdout, "stage.adapter", "report"); a != b {
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
	for _, metric := range []string{`"trainable_share"`, `"trainable_params"`} {
		if !strings.Contains(res.stdout, metric) {
			t.Errorf("metric %s not reported", metric)
		}
	}
	ans := llmflowInput(t, dir, "What is 2 plus 3?\n", "chat", "--checkpoint", "merge.chat", "--temperature", "0", "--max-new-tokens", "20", "--json")
	if ans.code != 0 {
		t.Errorf("chat with the merged model: %d\n%s%s", ans.code, ans.stdout, ans.stderr)
	}
	// The adapter applied at load time answers as the merged model does,
	// with the template it carries.
	withAdapter := llmflowInput(t, dir, "What is 2 plus 3?\n", "chat", "--checkpoint", "stage.base", "--adapter", "stage.lora", "--temperature", "0", "--max-new-tokens", "20", "--json")
	if withAdapter.code != 0 || withAdapter.stdout != ans.stdout {
		t.Errorf("chat --adapter: %d\n%s%s\nwant\n%s", withAdapter.code, withAdapter.stdout, withAdapter.stderr, ans.stdout)
	}
	gen := func(args ...string) string {
		r := llmflow(t, dir, append([]string{"generate", "--prompt", "The capital of Peru is", "--temperature", "0", "--max-tokens", "12"}, args...)...)
		if r.code != 0 {
			t.Fatalf("generate %v: %d\n%s", args, r.code, r.stderr)
		}
		return r.stdout
	}
	if a, b := gen("--checkpoint", "stage.base", "--adapter", adapter), gen("--checkpoint", merged); a != b {
		t.Errorf("generate --adapter gives %q, the merged model %q", a, b)
	}
}
