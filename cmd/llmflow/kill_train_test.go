package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestResumeTrainingAfterSIGKILL kills a real `llmflow run` in the middle of
// pretraining, after the stage has saved a checkpoint, and checks that the
// next run continues from that checkpoint and produces the same model, byte
// for byte, as a run that was never interrupted.
func TestResumeTrainingAfterSIGKILL(t *testing.T) {
	dir := quickstart(t)
	path := filepath.Join(dir, "pipeline.hcl")
	src, _ := os.ReadFile(path)
	text := strings.Replace(string(src), "max_steps    = 300", "max_steps    = 120\n    save_every   = 40", 1)
	if text == string(src) {
		t.Fatal("quickstart pipeline has no max_steps = 300 line to shorten")
	}
	os.WriteFile(path, []byte(text), 0o644)

	cmd := exec.Command(binary, "run", "--json", "pipeline.hcl")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(dir, ".llmflow", "store", "tmp", "stage-*", "model", "training_state.json")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if m, _ := filepath.Glob(saved); len(m) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint was saved within 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	plan := llmflow(t, dir, "plan", "pipeline.hcl")
	if !regexp.MustCompile(`\+ stage\.tiny \(will run: new, resume from step [1-9]\d*\)`).MatchString(plan.stdout) {
		t.Errorf("plan after the kill does not say which step the stage resumes from:\n%s", plan.stdout)
	}

	res := llmflow(t, dir, "run", "--json", "pipeline.hcl")
	if res.code != 0 {
		t.Fatalf("resumed run: %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stdout, "resum") {
		t.Errorf("the resumed run did not report resuming from the checkpoint:\n%s", res.stdout)
	}
	resumed := outputDigest(t, res.stdout, "stage.tiny", "model")
	// The resumed run's loss curve starts at step 10, with the killed run's
	// points, and marks where this run took over.
	report := llmflow(t, dir, "report", "latest", "-o", "-")
	if !regexp.MustCompile(`"id":"stage.tiny/loss","node":"stage.tiny","title":"loss","labels":\["train_loss","val_loss"\],"x":\[10,20,`).MatchString(report.stdout) ||
		!strings.Contains(report.stdout, `"resumed_at":[`) {
		t.Errorf("the resumed run's report does not continue the killed run's loss curve")
	}

	fresh := llmflow(t, dir, "run", "--json", "--store", "fresh-store", "--db", "fresh.db", "pipeline.hcl")
	if fresh.code != 0 {
		t.Fatalf("uninterrupted run: %d\n%s", fresh.code, fresh.stderr)
	}
	if want := outputDigest(t, fresh.stdout, "stage.tiny", "model"); resumed != want {
		t.Errorf("resumed model %s differs from the uninterrupted model %s", resumed, want)
	}
}

// outputDigest finds the digest of a node's output in a JSON-lines event stream.
func outputDigest(t *testing.T, events, node, output string) string {
	t.Helper()
	for _, line := range strings.Split(events, "\n") {
		var ev struct {
			Type    string
			Node    string
			Outputs map[string]string
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Node == node && ev.Type == "node_finished" {
			if d := ev.Outputs[output]; d != "" {
				return d
			}
		}
	}
	t.Fatalf("no %s output of %s in:\n%s", output, node, events)
	return ""
}
