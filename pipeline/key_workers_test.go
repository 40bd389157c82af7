package pipeline

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWorkersNotInKey checks that the worker count of a dataprep node, which
// never changes its output, does not change its cache key.
func TestWorkersNotInKey(t *testing.T) {
	keyFor := func(workers string) string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "docs.jsonl"), []byte(`{"text":"hello"}`+"\n"), 0o644)
		src := "dataset \"d\" {\n  path = \"docs.jsonl\"\n}\nclean \"c\" {\n  input = dataset.d\n" + workers + "}\n"
		path := filepath.Join(dir, "p.hcl")
		os.WriteFile(path, []byte(src), 0o644)
		cfg, diags := LoadFile(path)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		b, diags := cfg.Bind(nil)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return string(b.Nodes["clean.c"].Canonical)
	}
	if a, b := keyFor(""), keyFor("  workers = 1\n"); a != b {
		t.Errorf("workers changed the canonical config:\n%s\n%s", a, b)
	}
}
