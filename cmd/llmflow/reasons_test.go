package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanReasons checks that plan explains, from the run history, why each
// node runs again after an edit.
func TestPlanReasons(t *testing.T) {
	dir := fixture(t)
	if res := llmflow(t, dir, "run", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("run: %s", res.stderr)
	}
	os.WriteFile(filepath.Join(dir, "data", "lines.txt"), []byte("a changed line\n"), 0o644)
	src, _ := os.ReadFile(filepath.Join(dir, "pipeline.hcl"))
	edited := strings.Replace(string(src), `path = "data/docs.jsonl"`, "path = \"data/docs.jsonl\"\n  on_error = \"skip\"", 1)
	os.WriteFile(filepath.Join(dir, "pipeline.hcl"), []byte(edited), 0o644)
	res := llmflow(t, dir, "plan", "pipeline.hcl")
	for _, want := range []string{"+ dataset.docs (will run: config changed)", "+ dataset.lines (will run: input changed)"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("plan lacks %q:\n%s%s", want, res.stdout, res.stderr)
		}
	}
	res = llmflow(t, dir, "plan", "--no-cache", "pipeline.hcl")
	if strings.Count(res.stdout, "will run: --no-cache") != 2 {
		t.Errorf("plan --no-cache:\n%s", res.stdout)
	}
}
