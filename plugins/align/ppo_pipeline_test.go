package align

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/llmflow/llmflow/artifact"
)

var llmflowBin struct {
	once sync.Once
	path string
	err  error
}

// llmflowBinary builds the llmflow command once: the pipeline tests run the
// ppo stage as the real plugin process it is in a run.
func llmflowBinary(t *testing.T) string {
	t.Helper()
	llmflowBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "ppo-llmflow-")
		if err != nil {
			llmflowBin.err = err
			return
		}
		sharedBinDir = dir
		llmflowBin.path = filepath.Join(dir, "llmflow")
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if out, err := exec.Command(goBin, "build", "-o", llmflowBin.path, "../../cmd/llmflow").CombinedOutput(); err != nil {
			llmflowBin.err = fmt.Errorf("building llmflow: %v\n%s", err, out)
		}
	})
	if llmflowBin.err != nil {
		t.Fatal(llmflowBin.err)
	}
	return llmflowBin.path
}

// ppoPipeline writes into a fresh directory the fixture's checkpoints, the
// prompts and a pipeline that imports them and runs the ppo stage.
func ppoPipeline(t *testing.T, f ppoFixture, config string) string {
	t.Helper()
	dir := t.TempDir()
	for name, from := range map[string]string{"policy": f.policy, "reward": f.reward} {
		for _, file := range []string{"model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"} {
			b, err := os.ReadFile(filepath.Join(from, file))
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(filepath.Join(dir, name), 0o755)
			if err := os.WriteFile(filepath.Join(dir, name, file), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for file, nouns := range map[string][]string{"prompts.jsonl": ppoNouns[:18], "val.jsonl": ppoNouns[18:24]} {
		var b []byte
		for _, n := range nouns {
			// The stage reads only the prompts; instructions need an answer.
			_, plain := ppoAnswers(n)
			b = fmt.Appendf(b, "{\"prompt\": %q, \"response\": %q}\n", ppoPrompt(n), plain)
		}
		if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hcl := `
checkpoint "policy" { path = "policy" }
checkpoint "reward" { path = "reward" }
instructions "prompts" {
  path  = "prompts.jsonl"
  shape = "prompt_response"
}
instructions "val" {
  path  = "val.jsonl"
  shape = "prompt_response"
}
stage "ppo" "rl" {
  model        = checkpoint.policy
  reward_model = checkpoint.reward
  prompts      = instructions.prompts
  val_prompts  = instructions.val
  seed         = 3
  config {
` + config + `
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "pipeline.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runLLMFlow(t *testing.T, dir string, args ...string) (stdout string) {
	t.Helper()
	cmd := exec.Command(llmflowBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("llmflow %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

// nodeOutput finds the digest of a node's output in a JSON-lines run.
func nodeOutput(t *testing.T, events, node, output string) string {
	t.Helper()
	for _, line := range strings.Split(events, "\n") {
		var ev struct {
			Type    string
			Node    string
			Outputs map[string]string
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Node == node && ev.Type == "node_finished" && ev.Outputs[output] != "" {
			return ev.Outputs[output]
		}
	}
	t.Fatalf("no %s output of %s in:\n%s", output, node, events)
	return ""
}

const pipelinePPOConfig = `    steps          = 30
    batch_size     = 16
    mini_batches   = 4
    ppo_epochs     = 4
    lr             = 0.0005
    horizon        = 1000
    max_new_tokens = 10
    save_every     = 1`

// TestPPOPipeline runs the ppo stage as a plugin process of a real run on
// imported checkpoints, and checks that the held-out prompts' score rose.
func TestPPOPipeline(t *testing.T) {
	dir := ppoPipeline(t, fixture(t), pipelinePPOConfig)
	out := runLLMFlow(t, dir, "run", "--json", "pipeline.hcl")
	store, err := artifact.OpenStore(filepath.Join(dir, ".llmflow", "store"))
	if err != nil {
		t.Fatal(err)
	}
	rep := store.Path(nodeOutput(t, out, "stage.rl", "report"))
	var sum summary
	b, err := os.ReadFile(filepath.Join(rep, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil || sum.Before == nil || sum.After == nil {
		t.Fatalf("summary.json: %v\n%s", err, b)
	}
	t.Logf("held-out score %.3f (std %.3f) -> %.3f (std %.3f), kl %.3f", sum.Before.ScoreMean, sum.Before.ScoreStd, sum.After.ScoreMean, sum.After.ScoreStd, sum.After.KL)
	if sum.After.ScoreMean <= sum.Before.ScoreMean {
		t.Errorf("held-out score fell from %.4f to %.4f", sum.Before.ScoreMean, sum.After.ScoreMean)
	}
	model := store.Path(nodeOutput(t, out, "stage.rl", "model"))
	for _, f := range []string{"model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", ValueHeadFile} {
		if _, err := os.Stat(filepath.Join(model, f)); err != nil {
			t.Error(err)
		}
	}
	for _, metric := range []string{`"score_mean"`, `"policy/clipfrac"`, `"kl_coef"`, `"eval/score_mean_after"`} {
		if !strings.Contains(out, metric) {
			t.Errorf("metric %s not in the run's events", metric)
		}
	}
}

// TestPPOResumeAfterSIGKILL kills the run in the middle of PPO, after the
// stage saved its state, and checks that the next run resumes and writes
// the same policy and report, byte for byte, as a run never interrupted.
func TestPPOResumeAfterSIGKILL(t *testing.T) {
	dir := ppoPipeline(t, fixture(t), strings.Replace(pipelinePPOConfig, "steps          = 30", "steps          = 60", 1))
	cmd := exec.Command(llmflowBinary(t), "run", "--json", "pipeline.hcl")
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var events strings.Builder
	exited := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			events.WriteString(sc.Text() + "\n")
		}
		close(exited)
	}()
	// Wait for a state saved a few steps in, so the kill lands mid-run.
	saved := filepath.Join(dir, ".llmflow", "store", "tmp", "stage-*", "model", "training_state.json")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if m, _ := filepath.Glob(saved); len(m) > 0 {
			if b, err := os.ReadFile(m[0]); err == nil && !strings.Contains(string(b), `"step": 1,`) {
				break
			}
		}
		select {
		case <-exited:
			cmd.Wait()
			t.Fatalf("the run ended before the kill:\n%s", events.String())
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the ppo stage saved no state within 3 minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	out := runLLMFlow(t, dir, "run", "--json", "pipeline.hcl")
	if !strings.Contains(out, "ppo: resuming from the state saved after step") {
		t.Fatalf("the second run did not resume:\n%s", out)
	}
	fresh := runLLMFlow(t, dir, "run", "--json", "--store", "fresh-store", "--db", "fresh.db", "pipeline.hcl")
	for _, o := range []string{"model", "report"} {
		if a, b := nodeOutput(t, out, "stage.rl", o), nodeOutput(t, fresh, "stage.rl", o); a != b {
			t.Errorf("resumed %s %s differs from the uninterrupted %s", o, a, b)
		}
	}
}
