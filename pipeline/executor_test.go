package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExecutorFor(t *testing.T) {
	cfg, diags := LoadFile("testdata/valid/executors.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	c := cfg.Executors["cluster"]
	want := SlurmSettings{Partition: "debug", Account: "lab", QOS: "normal", TimeLimit: 90 * time.Minute,
		CPUsPerTask: 2, Mem: "4G", ExtraArgs: []string{"--exclusive"}}
	if c.Type != ExecutorSlurm || !c.Default || c.Slurm.Partition != want.Partition || c.Slurm.TimeLimit != want.TimeLimit ||
		c.Slurm.CPUsPerTask != 2 || c.Slurm.Mem != "4G" || len(c.Slurm.ExtraArgs) != 1 || c.Slurm.QOS != "normal" || c.Slurm.Account != "lab" {
		t.Fatalf("cluster = %+v, want %+v", c.Slurm, want)
	}
	name := func(e *Executor) string {
		if e == nil {
			return "host"
		}
		return e.Name
	}
	for _, tc := range []struct{ addr, override, want string }{
		{"dataset.web", "", "host"},           // names a local executor
		{"stage.base", "", "cluster"},         // names the cluster
		{"stage.base", "local", "host"},       // --executor local wins
		{"dataset.web", "slurm", "host"},      // a node's own choice stays
		{"dataset.other", "", "cluster"},      // the default block
		{"dataset.other", "here", "host"},     // a block named by --executor
		{"dataset.other", "slurm", "cluster"}, // the default block is Slurm already
	} {
		if got := name(cfg.ExecutorFor(tc.addr, tc.override)); got != tc.want {
			t.Errorf("ExecutorFor(%s, %q) = %s, want %s", tc.addr, tc.override, got, tc.want)
		}
	}
	bare, _ := Load("p.hcl", []byte(`dataset "web" { path = "a.jsonl" }`))
	if e := bare.ExecutorFor("dataset.web", "slurm"); e == nil || e.Type != ExecutorSlurm {
		t.Errorf("--executor slurm without a block = %v, want a default Slurm executor", e)
	}
	if e := bare.ExecutorFor("dataset.web", ""); e != nil {
		t.Errorf("no executor blocks = %v, want the host", e)
	}
	if err := bare.CheckExecutorOverride("slrum"); err == nil {
		t.Error("--executor slrum accepted")
	}
	if err := cfg.CheckExecutorOverride("here"); err != nil {
		t.Error(err)
	}
}

// TestPlanNamesExecutor: a node that will run says which executor block it
// goes to; nodes of the host process and cached nodes say nothing.
func TestPlanNamesExecutor(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte(`{"text": "one two three"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := Load(filepath.Join(dir, "p.hcl"), []byte(`
executor "cluster" {
  default = true
}
executor "here" {
  type = "local"
}
dataset "web" {
  path     = "a.jsonl"
  executor = executor.here
}
clean "web" {
  input = dataset.web
}
`))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b, diags := cfg.Bind(nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, tc := range []struct{ override, dataset, clean string }{
		{"", "", "cluster"},
		{"local", "", ""},
	} {
		p, diags := (&Planner{Store: newStore(t), Executor: tc.override}).Plan(context.Background(), b)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		for _, want := range []struct{ addr, executor string }{{"dataset.web", tc.dataset}, {"clean.web", tc.clean}} {
			n := p.node(want.addr)
			if n.Executor != want.executor {
				t.Errorf("--executor %q: %s runs on %q, want %q", tc.override, want.addr, n.Executor, want.executor)
			}
			line := n.String()
			if named := strings.Contains(line, "on executor"); named != (want.executor != "") || (named && !strings.HasSuffix(line, ` on executor "cluster"`)) {
				t.Errorf("--executor %q: plan line %q", tc.override, line)
			}
		}
	}
}
