package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestGolden walks a fixture pipeline through validate, plan, graph, run,
// plan again, runs list/show and reproduce, comparing normalised output with
// golden files.
func TestGolden(t *testing.T) {
	dir := fixture(t)
	steps := []struct {
		name string
		args []string
		code int
	}{
		{"validate", []string{"validate", "pipeline.hcl"}, 0},
		{"plan_before", []string{"plan", "pipeline.hcl"}, 0},
		{"plan_json", []string{"plan", "--json", "pipeline.hcl"}, 0},
		{"graph_dot", []string{"graph", "pipeline.hcl"}, 0},
		{"graph_mermaid", []string{"graph", "--format", "mermaid", "pipeline.hcl"}, 0},
		{"run", []string{"run", "--parallelism", "1", "pipeline.hcl"}, 0},
		{"plan_after", []string{"plan", "pipeline.hcl"}, 0},
		{"runs_list", []string{"runs", "list"}, 0},
		{"runs_show", []string{"runs", "show", "latest"}, 0},
		{"reproduce_summary", []string{"reproduce", "latest"}, 0},
	}
	for _, s := range steps {
		res := llmflow(t, dir, s.args...)
		if res.code != s.code {
			t.Fatalf("%s: exit %d, want %d\n%s%s", s.name, res.code, s.code, res.stdout, res.stderr)
		}
		out := res.stdout
		if s.name == "run" {
			out = sortLines(out) // parallel nodes may interleave
		}
		if s.name == "reproduce_summary" {
			out = lastLine(out)
		}
		if strings.HasPrefix(s.name, "runs_") {
			out = unpad(out)
		}
		if strings.Contains(res.stdout+res.stderr, "do-not-store") {
			t.Errorf("%s printed a sensitive value", s.name)
		}
		t.Run(s.name, func(t *testing.T) { golden(t, s.name, normalise(out, dir)) })
	}
}

func sortLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1] + "\n"
}

func TestValidateAndPlanWriteNothing(t *testing.T) {
	dir := fixture(t)
	for _, args := range [][]string{{"validate", "pipeline.hcl"}, {"plan", "pipeline.hcl"}, {"plan", "--json", "pipeline.hcl"}, {"graph", "pipeline.hcl"}} {
		if res := llmflow(t, dir, args...); res.code != 0 {
			t.Fatalf("%v: %d %s", args, res.code, res.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".llmflow")); !os.IsNotExist(err) {
		t.Fatalf("validate/plan created .llmflow: %v", err)
	}
}

func TestExitCodes(t *testing.T) {
	dir := fixture(t)
	os.WriteFile(filepath.Join(dir, "bad.hcl"), []byte("dataset \"x\" {\n  pth = \"a\"\n}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "fail.hcl"), []byte("dataset \"x\" {\n  path = \"missing.jsonl\"\n}\n"), 0o644)
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"validate", "bad.hcl"}, exitInvalid, `Did you mean "path"?`},
		{[]string{"validate"}, exitUsage, "accepts 1 arg"},
		{[]string{"plan", "--bogus", "pipeline.hcl"}, exitUsage, "unknown flag"},
		{[]string{"validate", "-var", "nope=1", "pipeline.hcl"}, exitInvalid, "Value for undeclared variable"},
		{[]string{"run", "fail.hcl"}, exitNodesFailed, ""},
		{[]string{"runs", "show", "nosuchrun"}, exitNotFound, "not found"},
		{[]string{"artifacts", "show", "sha256:" + strings.Repeat("0", 64)}, exitNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			res := llmflow(t, dir, tt.args...)
			if res.code != tt.code || !strings.Contains(res.stderr, tt.err) {
				t.Fatalf("exit %d (want %d), stderr:\n%s", res.code, tt.code, res.stderr)
			}
		})
	}
}

// TestQuickstart runs the example end to end: a second plan shows every
// node cached and reproduce finds the artifacts identical.
func TestQuickstart(t *testing.T) {
	dir := quickstart(t)
	if res := llmflow(t, dir, "run", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("run: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	res := llmflow(t, dir, "plan", "pipeline.hcl")
	if res.code != 0 || strings.Contains(res.stdout, "will run") || !strings.Contains(res.stdout, "\n0 to run,") {
		t.Fatalf("plan after run:\n%s%s", res.stdout, res.stderr)
	}
	res = llmflow(t, dir, "reproduce", "latest")
	m := regexp.MustCompile(`(\d+)/(\d+) artifacts identical`).FindStringSubmatch(res.stdout)
	if res.code != 0 || m == nil || m[1] != m[2] {
		t.Fatalf("reproduce: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// TestValidateDiagnosticsGolden shows what a user sees for a broken file:
// every problem at once, each with file:line, a source snippet and advice.
func TestValidateDiagnosticsGolden(t *testing.T) {
	dir := copyFiles(t, "testdata", "invalid.hcl")
	res := llmflow(t, dir, "validate", "invalid.hcl")
	if res.code != exitInvalid {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	golden(t, "validate_invalid", normalise(res.stderr, dir))
}

func TestValidateJSON(t *testing.T) {
	dir := copyFiles(t, "testdata", "invalid.hcl")
	res := llmflow(t, dir, "validate", "--json", "invalid.hcl")
	var out struct {
		Valid       bool
		Diagnostics []struct {
			Summary string
			Range   struct{ Start struct{ Line, Column int } }
		}
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || res.code != exitInvalid {
		t.Fatalf("exit %d, %v:\n%s", res.code, err, res.stdout)
	}
	if out.Valid || len(out.Diagnostics) != 4 || out.Diagnostics[0].Range.Start.Line != 5 {
		t.Fatalf("%+v", out)
	}
}
