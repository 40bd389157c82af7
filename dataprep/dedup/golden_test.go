package dedup

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// checkGolden compares v, as indented JSON, with testdata/name.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (run with -update if the change is intended):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestGoldenStats pins the statistics of the labelled quality corpus, so a
// change in tokenisation, hashing or decisions shows up as a diff.
func TestGoldenStats(t *testing.T) {
	c := buildCorpus(t, 7)
	for _, cfg := range []Config{DefaultConfig(), func() Config { c := DefaultConfig(); c.Method = MethodExact; return c }()} {
		ix, _ := NewIndex(cfg)
		ix.AddAll(c.docs, 2, nil)
		checkGolden(t, "stats_"+cfg.Method+".json", ix.Stats().Metrics())
	}
}
