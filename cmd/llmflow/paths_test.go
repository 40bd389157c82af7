package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeysIgnorePathSpelling checks that cache keys, plan reasons and
// reproduce depend on what the files hold, not on how their paths are
// spelled: relative or absolute, from another working directory, or
// through a renamed copy of the pipeline.
func TestKeysIgnorePathSpelling(t *testing.T) {
	dir := fixture(t)
	path := filepath.Join(dir, "pipeline.hcl")
	src, _ := os.ReadFile(path)
	// Data given by absolute paths, as a user pointing at a shared corpus would.
	abs := strings.ReplaceAll(string(src), `path = "data/`, `path = "`+filepath.Join(dir, "data")+`/`)
	if abs == string(src) {
		t.Fatal("fixture has no relative data path to rewrite")
	}
	os.WriteFile(path, []byte(abs), 0o644)
	if res := llmflow(t, dir, "run", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("run: %s", res.stderr)
	}
	store, db := filepath.Join(dir, ".llmflow", "store"), filepath.Join(dir, ".llmflow", "llmflow.db")

	t.Run("absolute pipeline path", func(t *testing.T) {
		res := llmflow(t, t.TempDir(), "plan", "--store", store, "--db", db, path)
		if !strings.Contains(res.stdout, "0 to run, 2 cached") {
			t.Errorf("plan by absolute path from another directory:\n%s%s", res.stdout, res.stderr)
		}
	})
	t.Run("relative data path spelled differently", func(t *testing.T) {
		moved := strings.ReplaceAll(string(src), `path = "data/`, `path = "./data/../data/`)
		os.WriteFile(filepath.Join(dir, "dotted.hcl"), []byte(moved), 0o644)
		res := llmflow(t, dir, "plan", "dotted.hcl")
		if !strings.Contains(res.stdout, "0 to run, 2 cached") {
			t.Errorf("plan with ./data/../data paths:\n%s%s", res.stdout, res.stderr)
		}
	})
	t.Run("renamed copy keeps history", func(t *testing.T) {
		edited := strings.Replace(abs, "seed = var.seed", "seed = var.seed\n  on_error = \"skip\"", 1)
		os.WriteFile(filepath.Join(dir, "copy.hcl"), []byte(edited), 0o644)
		res := llmflow(t, dir, "plan", "copy.hcl")
		if !strings.Contains(res.stdout, "+ dataset.docs (will run: config changed)") {
			t.Errorf("plan of an edited copy:\n%s%s", res.stdout, res.stderr)
		}
	})
	t.Run("reproduce", func(t *testing.T) {
		res := llmflow(t, dir, "reproduce", "latest")
		if res.code != 0 || !strings.Contains(res.stdout, "2/2 artifacts identical") {
			t.Errorf("reproduce: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
	})
}
