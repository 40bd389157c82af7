package pipeline

import (
	"context"
	"testing"

	"github.com/llmflow/llmflow/pipeline/runstore"
)

func TestRecorderWritesRun(t *testing.T) {
	store := newStore(t)
	db := newRunDB(t)
	src := chain + `
variable "secret" {
  default   = "hunter2"
  sensitive = true
}
variable "n" { default = 3 }
testnode "c" {
  value      = var.secret
  fail_times = 9
}
`
	plan := testPipeline(t, src, store, false)
	rec, err := StartRecording(context.Background(), db, store, plan, "")
	if err != nil {
		t.Fatal(err)
	}
	e := &Engine{Store: store, Hook: rec, RunID: rec.RunID(), Parallelism: 2}
	e.Run(context.Background(), plan)
	if rec.Err() != nil {
		t.Fatal(rec.Err())
	}
	d, err := db.GetRun(context.Background(), rec.RunID())
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != runstore.StatusFailed || len(d.Nodes) != 3 || len(d.Artifacts) != 2 {
		t.Fatalf("run %s nodes %d artifacts %d", d.Status, len(d.Nodes), len(d.Artifacts))
	}
	if string(d.Variables) != `{"n":3}` {
		t.Errorf("variables %s", d.Variables)
	}
	for _, p := range d.Params {
		if p.Value == `"hunter2"` {
			t.Errorf("sensitive value stored: %+v", p)
		}
	}
	h := RunHistory{DB: db, Pipeline: plan.Bound.Config.Filename} // already absolute in this test
	if _, ok := h.LastParts("testnode.b"); !ok {
		t.Error("history has no parts for testnode.b")
	}
}

func TestRecorderAttempts(t *testing.T) {
	store := newStore(t)
	db := newRunDB(t)
	plan := testPipeline(t, "testnode \"flaky_rec\" {\n  fail_times = 1\n  retries = 1\n}\n", store, false)
	rec, err := StartRecording(context.Background(), db, store, plan, "")
	if err != nil {
		t.Fatal(err)
	}
	(&Engine{Store: store, Hook: rec, RunID: rec.RunID()}).Run(context.Background(), plan)
	d, err := db.GetRun(context.Background(), rec.RunID())
	if err != nil || rec.Err() != nil {
		t.Fatal(err, rec.Err())
	}
	if len(d.Nodes) != 2 || d.Nodes[0].Status != runstore.StatusFailed || d.Nodes[1].Status != runstore.StatusSucceeded || d.Nodes[1].Attempt != 2 {
		t.Fatalf("attempts %+v", d.Nodes)
	}
	if d.Status != runstore.StatusSucceeded {
		t.Fatalf("run %s", d.Status)
	}
}

// TestRecorderLogWritesBufferedMetrics checks that a node's log line
// writes the metric points it buffered before it, so that a run killed
// right after (a stage logs before saving a checkpoint) keeps them.
func TestRecorderLogWritesBufferedMetrics(t *testing.T) {
	store := newStore(t)
	db := newRunDB(t)
	plan := testPipeline(t, chain, store, false)
	rec, err := StartRecording(context.Background(), db, store, plan, "")
	if err != nil {
		t.Fatal(err)
	}
	rec.NodeMetric("testnode.a", "train_loss", 10, 1.5)
	rec.NodeLog("testnode.a", "saving the checkpoint at step 10")
	ms, err := db.RunMetrics(context.Background(), rec.RunID(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Step != 10 || ms[0].Value != 1.5 {
		t.Fatalf("metrics recorded by the log line: %+v, want train_loss 1.5 at step 10", ms)
	}
}
