package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmflow/llmflow/pipeline/runstore"
)

// TestConcurrentRunsShareNodes starts two runs of the same training
// pipeline at once. They used to train into the same work directory and
// one failed on a vanished checkpoint file; now, on each node they share,
// one waits for the other, says whom it waits for, and takes the result
// from the cache, so every node executes once.
func TestConcurrentRunsShareNodes(t *testing.T) {
	dir := tinyTraining(t)
	a, outA := start(t, dir)
	time.Sleep(200 * time.Millisecond) // let a take the first nodes
	b, outB := start(t, dir)
	errA, errB := a.Wait(), b.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("runs: %v, %v\n%s\n---\n%s", errA, errB, outA, outB)
	}
	if ma, mb := runOutput(t, outA.String(), "model"), runOutput(t, outB.String(), "model"); ma != mb {
		t.Errorf("the runs produced different models: %s, %s", ma, mb)
	}
	both := outA.String() + outB.String()
	if !strings.Contains(both, "waiting for run ") || !strings.Contains(both, "which is running this node") {
		t.Errorf("neither run said whom it waited for:\n%s\n---\n%s", outA, outB)
	}
	for _, node := range []string{"dataset.web", "clean.web", "dedup.web", "tokenizer.bpe", "stage.tiny", "stage.report"} {
		if n := countStarted(both, node); n != 1 {
			t.Errorf("%s executed %d times, want once and served from the cache to the other run", node, n)
		}
	}
	checkStoreClean(t, dir)
}

// countStarted counts the attempts of node started in a JSON-lines stream.
func countStarted(events, node string) int {
	n := 0
	for _, line := range strings.Split(events, "\n") {
		var ev struct{ Type, Node string }
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "node_started" && ev.Node == node {
			n++
		}
	}
	return n
}

// tinyTraining turns the quickstart into a pipeline that trains in seconds
// and saves as it goes, so a run can be killed while training.
func tinyTraining(t *testing.T) string {
	t.Helper()
	dir := quickstart(t)
	path := filepath.Join(dir, "pipeline.hcl")
	src, _ := os.ReadFile(path)
	text := string(src)
	for _, r := range [][2]string{
		{"n_layer      = 4", "n_layer      = 1"},
		{"n_embd       = 128", "n_embd       = 32"},
		{"batch_size   = 16", "batch_size   = 4"},
		{"max_steps    = 300", "max_steps    = 300\n    save_every   = 25"},
	} {
		if !strings.Contains(text, r[0]) {
			t.Fatalf("quickstart pipeline has no %q to change", r[0])
		}
		text = strings.Replace(text, r[0], r[1], 1)
	}
	os.WriteFile(path, []byte(text), 0o644)
	return dir
}

// start launches `llmflow run` in dir without waiting for it.
func start(t *testing.T, dir string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary, "run", "--json", "pipeline.hcl")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// checkStoreClean fails the test when anything is left in the store's tmp
// directory or as a half-written node record, and checks the run database:
// intact, no run or node still "running", every run finished one way or
// another.
func checkStoreClean(t *testing.T, dir string) {
	t.Helper()
	store := filepath.Join(dir, ".llmflow", "store")
	if ents, _ := os.ReadDir(filepath.Join(store, "tmp")); len(ents) > 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("debris in %s/tmp: %v", store, names)
	}
	if m, _ := filepath.Glob(filepath.Join(store, "nodes", ".tmp-*")); len(m) > 0 {
		t.Errorf("half-written node records: %v", m)
	}
	db, err := runstore.OpenReadOnly(filepath.Join(dir, ".llmflow", "llmflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if res, err := db.IntegrityCheck(ctx); res != "ok" || err != nil {
		t.Errorf("integrity_check: %q %v", res, err)
	}
	runs, err := db.ListRuns(ctx, runstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		switch r.Status {
		case runstore.StatusSucceeded, runstore.StatusInterrupted:
		default:
			t.Errorf("run %s is %s", r.ID, r.Status)
		}
		d, err := db.GetRun(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range d.Nodes {
			bad := n.Status == runstore.StatusRunning || n.Status == runstore.StatusFailed ||
				r.Status == runstore.StatusSucceeded && n.Status == runstore.StatusInterrupted
			if bad {
				t.Errorf("run %s (%s): node %s attempt %d is %s", r.ID, r.Status, n.Addr, n.Attempt, n.Status)
			}
		}
	}
}

// runOutput finds the digest of a pipeline output in a JSON-lines event
// stream, whether its node ran or was served from the cache.
func runOutput(t *testing.T, events, name string) string {
	t.Helper()
	for _, line := range strings.Split(events, "\n") {
		var ev struct {
			Type    string
			Outputs map[string]string
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "run_finished" && ev.Outputs[name] != "" {
			return ev.Outputs[name]
		}
	}
	t.Fatalf("no output %s in:\n%s", name, events)
	return ""
}
