package runstore

import (
	"context"
	"slices"
	"testing"
)

// TestCurvesContinueAcrossResumedRuns records a training node that is
// interrupted at step 50, resumed by a second run from its step-40
// checkpoint, and served from the cache in a third run: the second and
// third runs' curves hold every step once, the resumed run's values where
// both reported one.
func TestCurvesContinueAcrossResumedRuns(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	node := func(run, status string, steps ...int64) {
		t.Helper()
		id, err := s.CreateRun(ctx, NewRun{ID: run, PipelineFile: "p.hcl"})
		if err != nil {
			t.Fatal(err)
		}
		nid, err := s.StartNode(ctx, NodeStart{RunID: id, Addr: "stage.tiny", Kind: "stage", CacheKey: "k1",
			Status: map[bool]string{true: StatusCached, false: StatusRunning}[status == StatusCached]})
		if err != nil {
			t.Fatal(err)
		}
		var ms []Metric
		for _, st := range steps {
			ms = append(ms, Metric{Step: st, Name: "train_loss", Value: float64(st) + float64(len(run))})
		}
		ms = append(ms, Metric{Step: 0, Name: "summary", Value: 1}) // a single step-0 figure: no curve
		if status != StatusCached {
			if err := s.AddMetrics(ctx, id, nid, ms); err != nil {
				t.Fatal(err)
			}
			s.FinishNode(ctx, nid, status, "")
		}
	}
	node("r1", StatusInterrupted, 10, 20, 30, 40, 50)
	node("run2", StatusSucceeded, 50, 60, 70)
	node("run-3", StatusCached)

	for _, run := range []string{"run2", "run-3"} {
		cs, err := s.Curves(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1 || cs[0].Name != "train_loss" || cs[0].Node != "stage.tiny" {
			t.Fatalf("%s: curves %+v", run, cs)
		}
		c := cs[0]
		if want := []int64{10, 20, 30, 40, 50, 60, 70}; !slices.Equal(c.Steps, want) {
			t.Errorf("%s: steps %v, want %v", run, c.Steps, want)
		}
		if c.Values[0] != 12 || c.Values[4] != 54 { // r1's value at 10, run2's at 50
			t.Errorf("%s: values %v", run, c.Values)
		}
		if !slices.Equal(c.ResumedAt, []int64{50}) {
			t.Errorf("%s: resumed at %v, want [50]", run, c.ResumedAt)
		}
	}
	if cs, _ := s.Curves(ctx, "r1"); len(cs) != 1 || len(cs[0].Steps) != 5 || cs[0].ResumedAt != nil {
		t.Errorf("the interrupted run's own curve: %+v", cs)
	}
}
