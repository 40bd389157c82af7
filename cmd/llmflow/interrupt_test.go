package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestInterruptMarksRun sends SIGINT (what Ctrl-C sends) to a running
// `llmflow run`: it must stop promptly with exit code 5 and the run must be
// recorded as interrupted, not failed, and so must the node it stopped.
func TestInterruptMarksRun(t *testing.T) {
	dir := slowPipeline(t, 8)
	cmd := exec.Command(binary, "run", "--json", "--parallelism", "1", "pipeline.hcl")
	cmd.Dir = dir
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var last string
	for sc.Scan() {
		var ev struct{ Type, Status string }
		json.Unmarshal(sc.Bytes(), &ev)
		if ev.Type == "node_finished" {
			cmd.Process.Signal(syscall.SIGINT)
		}
		if ev.Type == "run_finished" {
			last = ev.Status
		}
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v, want code %d", err, exitInterrupted)
	}
	if last != "interrupted" {
		t.Errorf("run_finished status %q", last)
	}
	show := llmflow(t, dir, "runs", "show", "latest")
	if !strings.Contains(show.stdout, "Status:    interrupted") || strings.Count(show.stdout, "interrupted") < 2 {
		t.Errorf("runs show:\n%s", show.stdout)
	}
}
