package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var trained struct {
	once sync.Once
	dir  string
	err  string
}

// trainedRun returns a directory holding a finished run of the quickstart
// shortened to 60 steps (train loss every 10, validation every 20). Tests
// share it and must only read it: plan, runs, report and artifacts commands.
func trainedRun(t *testing.T) string {
	t.Helper()
	trained.once.Do(func() {
		dir, err := os.MkdirTemp("", "llmflow-trained-")
		if err != nil {
			trained.err = err.Error()
			return
		}
		src := filepath.Join("..", "..", "examples", "quickstart")
		for _, name := range []string{"pipeline.hcl", "data/web.jsonl", "data/notes.txt"} {
			b, err := os.ReadFile(filepath.Join(src, name))
			if err != nil {
				trained.err = err.Error()
				return
			}
			if name == "pipeline.hcl" {
				b = []byte(shortTraining(string(b), 60))
			}
			os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
			os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
		res := llmflow(t, dir, "run", "pipeline.hcl")
		if res.code != 0 {
			trained.err = "run: " + res.stderr
		}
		trained.dir = dir
	})
	if trained.err != "" {
		t.Fatal(trained.err)
	}
	return trained.dir
}

// shortTraining sets the quickstart's max_steps and evaluates every 20 steps.
func shortTraining(src string, steps int) string {
	src = strings.Replace(src, "max_steps    = 300", "max_steps    = "+itoa(steps), 1)
	return strings.Replace(src, "eval_every   = 50", "eval_every   = 20", 1)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestRunsMetrics(t *testing.T) {
	dir := trainedRun(t)
	res := llmflow(t, dir, "runs", "metrics", "latest", "--node", "stage.tiny")
	if res.code != 0 {
		t.Fatalf("runs metrics: %d\n%s", res.code, res.stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(res.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ","); got != "node,attempt,step,name,value" {
		t.Errorf("header %q", got)
	}
	count := map[string]int{}
	for _, r := range recs[1:] {
		if r[0] != "stage.tiny" {
			t.Errorf("--node stage.tiny printed a point of %s", r[0])
		}
		count[r[3]]++
	}
	// Validation runs every 20 steps and once more at the end.
	if count["train_loss"] != 6 || count["val_loss"] != 4 {
		t.Errorf("train_loss %d points (want 6), val_loss %d (want 4)", count["train_loss"], count["val_loss"])
	}

	js := llmflow(t, dir, "runs", "metrics", "latest", "--format", "json")
	var points []struct {
		Node  string
		Step  int64
		Name  string
		Value *float64
	}
	if err := json.Unmarshal([]byte(js.stdout), &points); err != nil {
		t.Fatalf("runs metrics --format json: %v\n%s", err, js.stdout)
	}
	nodes := map[string]bool{}
	for _, p := range points {
		nodes[p.Node] = true
	}
	if !nodes["clean.web"] || !nodes["stage.tiny"] {
		t.Errorf("JSON metrics cover nodes %v; want every node's", nodes)
	}

	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"runs", "metrics", "latest", "--node", "stage.nope"}, exitNotFound},
		{[]string{"runs", "metrics", "latest", "--format", "xml"}, exitUsage},
		{[]string{"runs", "metrics", "nope"}, exitNotFound},
	} {
		if res := llmflow(t, dir, c.args...); res.code != c.code {
			t.Errorf("%v: exit %d, want %d\n%s", c.args, res.code, c.code, res.stderr)
		}
	}
}

func TestRunsShowPluginsAndOutputs(t *testing.T) {
	dir := trainedRun(t)
	res := llmflow(t, dir, "runs", "show", "latest")
	for _, want := range []string{"Plugins:", "NAME", "SHA256", "pretrain", "builtin", "Pipeline outputs:", "model"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("runs show lacks %q:\n%s", want, res.stdout)
		}
	}
	js := llmflow(t, dir, "runs", "show", "--json", "latest")
	var d struct {
		Outputs map[string]struct{ Digest, Kind string }
	}
	if err := json.Unmarshal([]byte(js.stdout), &d); err != nil {
		t.Fatal(err)
	}
	if o := d.Outputs["model"]; !strings.HasPrefix(o.Digest, "sha256:") || o.Kind != "checkpoint" {
		t.Errorf("outputs.model = %+v; want the checkpoint's digest and kind", o)
	}
	if len(d.Outputs) != 6 {
		t.Errorf("%d outputs, want the quickstart's 6: %v", len(d.Outputs), d.Outputs)
	}
}

func TestVersionAndUsageExitCodes(t *testing.T) {
	dir := t.TempDir()
	if res := llmflow(t, dir, "runs"); res.code != 0 || !strings.Contains(res.stdout, "Available Commands") {
		t.Errorf("runs without a subcommand: exit %d, want its help", res.code)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		res := llmflow(t, dir, args...)
		if res.code != 0 || !strings.HasPrefix(res.stdout, "llmflow 0.") {
			t.Errorf("%v: exit %d, %q", args, res.code, res.stdout)
		}
	}
	for _, args := range [][]string{{"bogus"}, {"runs", "bogus"}, {"plugins", "bogus"}, {"generate", "--prompt", "x"}, {"runs", "show"}, {"plugins", "list", "a", "b"}} {
		if res := llmflow(t, dir, args...); res.code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, res.code, exitUsage, res.stderr)
		}
	}
}

func TestJSONFlags(t *testing.T) {
	dir := trainedRun(t)
	var graph struct {
		Nodes []struct {
			Node      string
			Kind      string
			DependsOn []string `json:"depends_on"`
		}
	}
	mustJSON(t, llmflow(t, dir, "graph", "--json", "pipeline.hcl"), &graph)
	if len(graph.Nodes) != 9 || graph.Nodes[len(graph.Nodes)-1].Node != "stage.report" {
		t.Errorf("graph --json nodes: %+v", graph.Nodes)
	}
	var art struct {
		Kind   string
		Rows   int64
		Sample struct {
			Columns []string
			Rows    [][]string
		}
	}
	mustJSON(t, llmflow(t, dir, "artifacts", "show", "--json", "--rows", "2", "pii.web"), &art)
	if art.Kind != "dataset/text" || len(art.Sample.Rows) != 2 || art.Sample.Columns[1] != "text" {
		t.Errorf("artifacts show --json: %+v", art)
	}
	var plugins []struct{ Name, SHA256 string }
	mustJSON(t, llmflow(t, dir, "plugins", "list", "--json"), &plugins)
	if len(plugins) < 4 || !strings.HasPrefix(plugins[0].SHA256, "sha256:") {
		t.Errorf("plugins list --json: %+v", plugins)
	}
}

func mustJSON(t *testing.T, res result, v any) {
	t.Helper()
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if err := json.Unmarshal([]byte(res.stdout), v); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
}

func TestPluginsSchema(t *testing.T) {
	res := llmflow(t, t.TempDir(), "plugins", "schema", "pretrain")
	for _, want := range []string{"Config attributes:", "max_steps", "number", "2000", "Inputs:", "dataset/tokens"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("plugins schema pretrain lacks %q:\n%s", want, res.stdout)
		}
	}
	if res := llmflow(t, t.TempDir(), "plugins", "schema", "nope"); res.code != exitNotFound {
		t.Errorf("unknown plugin: exit %d\n%s", res.code, res.stderr)
	}
}

func TestExport(t *testing.T) {
	dir := trainedRun(t)
	out := t.TempDir()
	res := llmflow(t, dir, "export", "stage.tiny", filepath.Join(out, "model"))
	if res.code != 0 {
		t.Fatalf("export: %d\n%s", res.code, res.stderr)
	}
	for _, f := range []string{"model.safetensors", "config.json", "tokenizer.json"} {
		if _, err := os.Stat(filepath.Join(out, "model", f)); err != nil {
			t.Errorf("exported checkpoint lacks %s", f)
		}
	}
	if res := llmflow(t, dir, "export", "tokenize.web", filepath.Join(out, "t")); res.code != exitUsage ||
		!strings.Contains(res.stderr, "tokenize.web.train") {
		t.Errorf("a node with several outputs: exit %d\n%s", res.code, res.stderr)
	}
	if res := llmflow(t, dir, "export", "tokenize.web.val", filepath.Join(out, "val")); res.code != 0 {
		t.Errorf("export tokenize.web.val: %d\n%s", res.code, res.stderr)
	}
	if res := llmflow(t, dir, "export", "tokenize.web.val", filepath.Join(out, "val")); res.code != exitUsage {
		t.Errorf("export into a non-empty directory: exit %d", res.code)
	}
}

// TestPlanNamesChanges plans edited copies of a finished pipeline: the
// changed attributes are listed with old and new values, the nodes below
// name the input that changes, and --detailed-exitcode says whether
// anything would run.
func TestPlanNamesChanges(t *testing.T) {
	dir := trainedRun(t)
	if res := llmflow(t, dir, "plan", "--detailed-exitcode", "pipeline.hcl"); res.code != 0 {
		t.Errorf("plan of a finished pipeline: exit %d, want 0\n%s%s", res.code, res.stdout, res.stderr)
	}
	src, _ := os.ReadFile(filepath.Join(dir, "pipeline.hcl"))
	for _, c := range []struct{ name, from, to string }{
		{"plan_changes_stage", "max_steps    = 60", "max_steps    = 80\n    min_lr       = 0.0001"},
		{"plan_changes_upstream", "min_words = 10", "min_words = 12"},
	} {
		t.Run(c.name, func(t *testing.T) {
			edited := strings.Replace(string(src), c.from, c.to, 1)
			file := c.name + ".hcl"
			os.WriteFile(filepath.Join(dir, file), []byte(edited), 0o644)
			defer os.Remove(filepath.Join(dir, file))
			res := llmflow(t, dir, "plan", "--detailed-exitcode", file)
			if res.code != exitPlanChanges {
				t.Errorf("exit %d, want %d\n%s", res.code, exitPlanChanges, res.stderr)
			}
			golden(t, c.name, normalise(res.stdout, dir))
		})
	}
}
