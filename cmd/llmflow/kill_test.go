package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// slowPipeline writes n dataset nodes over files big enough that each
// ingest takes a noticeable time, so a run can be killed between nodes.
func slowPipeline(t *testing.T, n int) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	var src strings.Builder
	line := strings.Repeat("words for a slow ingest test ", 20)
	for i := range n {
		var b strings.Builder
		for j := range 4000 {
			fmt.Fprintf(&b, "{\"id\":\"%d-%d\",\"text\":%q}\n", i, j, line)
		}
		os.WriteFile(filepath.Join(dir, "data", fmt.Sprintf("f%02d.jsonl", i)), []byte(b.String()), 0o644)
		fmt.Fprintf(&src, "dataset \"d%02d\" {\n  path = \"data/f%02d.jsonl\"\n}\n", i, i)
	}
	os.WriteFile(filepath.Join(dir, "pipeline.hcl"), []byte(src.String()), 0o644)
	return dir
}

// TestResumeAfterSIGKILL kills a real `llmflow run` once a node has
// finished, then checks that the next run serves every finished node from
// the cache, runs only the rest, and that the killed run is recorded as
// interrupted.
func TestResumeAfterSIGKILL(t *testing.T) {
	const nodes = 12
	dir := slowPipeline(t, nodes)
	cmd := exec.Command(binary, "run", "--json", "--parallelism", "1", "pipeline.hcl")
	cmd.Dir = dir
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	finished := map[string]bool{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var ev struct{ Type, Node string }
		json.Unmarshal(sc.Bytes(), &ev)
		if ev.Type == "node_finished" {
			finished[ev.Node] = true
			if len(finished) == 2 {
				cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
	}
	cmd.Wait()
	if len(finished) != 2 {
		t.Fatalf("run ended before it could be killed: %v", finished)
	}
	res := llmflow(t, dir, "run", "--json", "--parallelism", "2", "pipeline.hcl")
	if res.code != 0 {
		t.Fatalf("resumed run: %d %s", res.code, res.stderr)
	}
	cached, ran := map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		var ev struct{ Type, Node string }
		json.Unmarshal([]byte(line), &ev)
		switch ev.Type {
		case "node_cached":
			cached[ev.Node] = true
		case "node_started":
			ran[ev.Node] = true
		}
	}
	for n := range finished {
		if !cached[n] || ran[n] {
			t.Errorf("%s finished before the kill but was not served from the cache", n)
		}
	}
	if len(cached)+len(ran) != nodes || len(ran) == 0 {
		t.Errorf("cached %d + ran %d != %d nodes", len(cached), len(ran), nodes)
	}
	list := llmflow(t, dir, "runs", "list")
	if !strings.Contains(list.stdout, "interrupted") {
		t.Errorf("killed run not marked interrupted:\n%s", list.stdout)
	}
}
