package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDiff compares two runs of the fixture: a variable, a node's config
// attribute and outputs change, and a node is only in the second run.
func TestDiff(t *testing.T) {
	dir := fixture(t)
	if res := llmflow(t, dir, "run", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("run a: %s", res.stderr)
	}
	path := filepath.Join(dir, "pipeline.hcl")
	src, _ := os.ReadFile(path)
	edited := strings.Replace(string(src), `format     = "text"`, `format     = "text"
  text_mode  = "paragraph"`, 1) + `
dataset "extra" {
  path   = "data/lines.txt"
  format = "text"
}
`
	os.WriteFile(path, []byte(edited), 0o644)
	if res := llmflow(t, dir, "run", "-var", "seed=2", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("run b: %s", res.stderr)
	}
	runs := llmflow(t, dir, "runs", "list", "--json")
	var list []struct{ ID string }
	mustJSON(t, runs, &list)
	a, b := list[1].ID, list[0].ID

	res := llmflow(t, dir, "diff", a, b)
	if res.code != 0 {
		t.Fatalf("diff: %d\n%s", res.code, res.stderr)
	}
	golden(t, "diff", normalise(unpadColumns(res.stdout), dir))

	var d struct {
		Variables []struct{ Name, A, B string }
		Nodes     []struct {
			Node, Only string
			Config     []struct{ Name, A, B string }
		}
		Metrics []struct {
			Node, Name string
			A, B       *float64
		}
	}
	mustJSON(t, llmflow(t, dir, "diff", "--json", a, b), &d)
	if len(d.Variables) != 1 || d.Variables[0].Name != "seed" || d.Variables[0].A != "1" || d.Variables[0].B != "2" {
		t.Errorf("variables: %+v", d.Variables)
	}
	var sawConfig, sawOnly bool
	for _, n := range d.Nodes {
		if n.Node == "dataset.lines" && len(n.Config) == 1 && n.Config[0].Name == "text_mode" && n.Config[0].B == `"paragraph"` {
			sawConfig = true
		}
		if n.Node == "dataset.extra" && n.Only == "b" {
			sawOnly = true
		}
	}
	if !sawConfig || !sawOnly {
		t.Errorf("diff --json nodes lack the text_mode change or the new node: %+v", d.Nodes)
	}
	if len(d.Metrics) == 0 {
		t.Error("diff --json has no final metrics")
	}
	if res := llmflow(t, dir, "diff", a, "nope"); res.code != exitNotFound {
		t.Errorf("diff with an unknown run: exit %d", res.code)
	}
}

var columnPadding = regexp.MustCompile(`(\S) {2,}`)

// unpadColumns collapses table padding but keeps indentation.
func unpadColumns(s string) string { return columnPadding.ReplaceAllString(s, "$1  ") }
