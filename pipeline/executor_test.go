package pipeline

import (
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
