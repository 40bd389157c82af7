package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/pipeline/pluginhost"
)

// TestLockPinsOnFirstUse runs a pipeline whose plugin block names no
// checksum: the first run pins the binary in the lock file, plan writes
// nothing, a changed binary is refused until `plugins lock` re-pins it.
func TestLockPinsOnFirstUse(t *testing.T) {
	src := filepath.Join("..", "..", "examples", "custom-plugin")
	dir := copyFiles(t, src, "pipeline.hcl", "data/corpus.txt")
	bin := buildExample(t, src, filepath.Join(dir, "bin", "shuffle-split"), "0.1.0")
	pipelinePath := filepath.Join(dir, "pipeline.hcl")
	orig, _ := os.ReadFile(pipelinePath)
	unpinned := regexp.MustCompile(`(?m)^\s*checksum\s*=.*\n`).ReplaceAll(orig, nil)
	if err := os.WriteFile(pipelinePath, unpinned, 0o644); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, pluginhost.LockFileName)

	if res := llmflow(t, dir, "plan", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("plan: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if _, err := os.Stat(lockPath); !os.IsNotExist(err) {
		t.Fatalf("plan wrote the lock file (err %v)", err)
	}
	if res := llmflow(t, dir, "run", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("first run: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	sum, _ := pluginhost.FileChecksum(bin)
	lock, diags := pluginhost.ReadLock(lockPath)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if p, ok := lock.Get("shuffle_split"); !ok || p.Checksum != sum {
		t.Fatalf("lock = %+v, want shuffle_split pinned at %s", lock.Plugins(), sum)
	}

	buildExample(t, src, bin, "0.2.0") // same path, other binary
	res := llmflow(t, dir, "run", "pipeline.hcl", "--no-cache")
	if res.code == 0 || !strings.Contains(res.stderr+res.stdout, "checksum mismatch") {
		t.Fatalf("changed binary ran: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := llmflow(t, dir, "plugins", "lock", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("plugins lock: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := llmflow(t, dir, "run", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("run after re-lock: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}
