package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/artifact"
)

// TestGC records one run in the default database and another only in a
// second database, leaves debris in tmp, and checks that gc removes the
// second run's artifact, its node record and the debris (a dry run only
// lists them), keeps what the recorded run references, and refuses while a
// run holds the store.
func TestGC(t *testing.T) {
	dir := fixture(t)
	kept := llmflow(t, dir, "run", "--json", "pipeline.hcl")
	if kept.code != 0 {
		t.Fatalf("run: %s", kept.stderr)
	}
	os.WriteFile(filepath.Join(dir, "data", "lines.txt"), []byte("a line only the other run saw\n"), 0o644)
	other := llmflow(t, dir, "run", "--json", "--db", "other.db", "pipeline.hcl")
	if other.code != 0 {
		t.Fatalf("run: %s", other.stderr)
	}
	keep, drop := outputDigest(t, kept.stdout, "dataset.lines", "data"), outputDigest(t, other.stdout, "dataset.lines", "data")
	debris := filepath.Join(dir, ".llmflow", "store", "tmp", "staging-12345")
	os.MkdirAll(debris, 0o755)
	os.WriteFile(filepath.Join(debris, "part-00000.arrow"), []byte("half written"), 0o644)
	store, _ := artifact.OpenStore(filepath.Join(dir, ".llmflow", "store"))

	dry := llmflow(t, dir, "gc", "--dry-run")
	hex := strings.TrimPrefix(drop, "sha256:")
	for _, want := range []string{"would remove  artifact", "objects/sha256/" + hex, "would remove  node record",
		"would remove  staging  12 B  .llmflow/store/tmp/staging-12345", "Would free"} {
		if !strings.Contains(unpad(dry.stdout), want) {
			t.Errorf("gc --dry-run lacks %q:\n%s%s", want, dry.stdout, dry.stderr)
		}
	}
	if _, err := os.Stat(debris); err != nil || !store.Has(drop) {
		t.Fatalf("gc --dry-run removed something: %v", err)
	}

	lock, _ := store.Share()
	busy := llmflow(t, dir, "gc")
	lock.Release()
	if busy.code == 0 || !strings.Contains(busy.stderr, "in use by a running llmflow") || !store.Has(drop) {
		t.Errorf("gc while a run holds the store: exit %d\n%s", busy.code, busy.stderr)
	}

	res := llmflow(t, dir, "gc")
	if res.code != 0 || strings.Count(res.stdout, "removed  ") != 3 || !strings.Contains(res.stdout, "Freed ") {
		t.Errorf("gc: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if store.Has(drop) || !store.Has(keep) {
		t.Errorf("after gc: dropped artifact present %v, kept artifact present %v", store.Has(drop), store.Has(keep))
	}
	if ents, _ := os.ReadDir(filepath.Join(store.Dir(), "tmp")); len(ents) != 0 {
		t.Errorf("tmp after gc: %v", ents)
	}
	// The collected node runs again; the recorded run's nodes stay cached.
	plan := llmflow(t, dir, "plan", "pipeline.hcl")
	if !strings.Contains(plan.stdout, "= dataset.docs (cached)") || !strings.Contains(plan.stdout, "+ dataset.lines (will run: input changed)") {
		t.Errorf("plan after gc:\n%s%s", plan.stdout, plan.stderr)
	}
	if again := llmflow(t, dir, "gc"); !strings.Contains(again.stdout, "Freed 0 B in 0 entries.") {
		t.Errorf("second gc:\n%s", again.stdout)
	}
	if missing := llmflow(t, dir, "gc", "--db", "missing.db"); missing.code != exitNotFound {
		t.Errorf("gc without a run database: exit %d\n%s", missing.code, missing.stderr)
	}
}
