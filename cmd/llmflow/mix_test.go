package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMixRunsShow runs a mix from the command line and finds the rows it
// took from each source among the metrics runs show prints.
func TestMixRunsShow(t *testing.T) {
	dir := t.TempDir()
	var web, notes strings.Builder
	for i := range 30 {
		fmt.Fprintf(&web, "{\"text\":\"web page %d about the sea\"}\n", i)
	}
	for i := range 10 {
		fmt.Fprintf(&notes, "note %d on the sky\n", i)
	}
	files := map[string]string{"web.jsonl": web.String(), "notes.txt": notes.String(), "pipeline.hcl": `dataset "web" {
  path = "web.jsonl"
}
dataset "notes" {
  path = "notes.txt"
}
mix "corpus" {
  inputs = [dataset.web, dataset.notes]
}
`}
	for name, s := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if res := llmflow(t, dir, "run", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("run: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res := llmflow(t, dir, "runs", "show", "latest")
	if res.code != 0 {
		t.Fatalf("runs show: %d\n%s", res.code, res.stderr)
	}
	for _, want := range []string{`mix\.corpus\s+rows\s+40\s`, `mix\.corpus\s+rows\.dataset\.notes\s+10\s`, `mix\.corpus\s+rows\.dataset\.web\s+30\s`} {
		if !regexp.MustCompile(want).MatchString(res.stdout) {
			t.Errorf("runs show has no line matching %s:\n%s", want, res.stdout)
		}
	}
}
