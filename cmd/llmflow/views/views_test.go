package views

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/llmflow/llmflow/pipeline"
)

// drive sends one of every event through a view.
func drive(v View) {
	v.RunStarted(pipeline.RunInfo{ID: "r1", Nodes: []string{"a", "b"}, Parallelism: 2})
	v.NodeStarted(pipeline.NodeResult{Addr: "a", Kind: "dataset", Attempt: 1, Key: "k"})
	v.NodeProgress("a", 5, 10, "rows")
	v.NodeMetric("a", "loss", 3, 1.25)
	v.NodeLog("a", "hello")
	v.NodeFinished(pipeline.NodeResult{Addr: "a", Outputs: map[string]string{"data": "sha256:x"}, Duration: time.Second})
	v.NodeCached(pipeline.NodeResult{Addr: "c"})
	v.NodeFailed(pipeline.NodeResult{Addr: "b", Attempt: 2, Err: errors.New("boom")})
	v.NodeSkipped("d", "b")
	v.RunFinished(pipeline.RunResult{ID: "r1", Status: pipeline.StatusFailed, Err: errors.New("nodes failed")})
	v.Close()
}

func TestJSONLines(t *testing.T) {
	var buf bytes.Buffer
	drive(NewJSON(&buf))
	var types []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		types = append(types, ev["type"].(string))
	}
	want := "run_started node_started node_progress node_metric node_log node_finished node_cached node_failed node_skipped run_finished"
	if strings.Join(types, " ") != want {
		t.Fatalf("types %v", types)
	}
}

func TestPlainLines(t *testing.T) {
	var buf bytes.Buffer
	drive(NewPlain(&buf))
	out := buf.String()
	for _, want := range []string{"run r1: 2 nodes", "a: started", "a: 5/10 rows", "a: hello", "a: finished in 1s",
		"c: cached", "b: failed: boom", "d: skipped (b failed)", "run r1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestHumanDoesNotBlock(t *testing.T) {
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() { drive(NewHuman(&buf)); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("human view blocked")
	}
	if !strings.Contains(buf.String(), "b: failed: boom") {
		t.Fatalf("output:\n%s", buf.String())
	}
}

// TestFinalSummary: a finished node's line carries its kept and dropped
// rows, or a training stage's last losses seen during the run.
func TestFinalSummary(t *testing.T) {
	var buf bytes.Buffer
	p := NewPlain(&buf)
	p.NodeMetric("stage.tiny", "train_loss", 10, 2.5)
	p.NodeMetric("stage.tiny", "grad_norm", 10, 1)
	p.NodeMetric("stage.tiny", "train_loss", 20, 1.25)
	p.NodeFinished(pipeline.NodeResult{Addr: "stage.tiny", Duration: time.Second})
	p.NodeFinished(pipeline.NodeResult{Addr: "clean.web", Duration: time.Second,
		Metrics: map[string]float64{"docs_kept": 353, "docs_dropped": 47, "bytes_in": 9}})
	p.NodeFinished(pipeline.NodeResult{Addr: "dataset.x", Duration: time.Second})
	p.NodeFinished(pipeline.NodeResult{Addr: "tokenize.t", Duration: time.Second,
		Metrics: map[string]float64{"tokens": 123456789, "rows": 100000, "val_loss": 1.0 / 3}})
	want := "stage.tiny: finished in 1s: train_loss=1.25\nclean.web: finished in 1s: docs_kept=353 docs_dropped=47\ndataset.x: finished in 1s\n" +
		"tokenize.t: finished in 1s: rows=100000 tokens=123456789 val_loss=0.33333\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}
