package pipeline

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

const chain = `
testnode "a" { value = "a" }
testnode "b" {
  input = testnode.a
  value = "b"
}
`

func TestRunThenCached(t *testing.T) {
	store := newStore(t)
	if p := testPipeline(t, chain, store, false); planLine(p) != "+ testnode.a (will run: new); + testnode.b (will run: new)" {
		t.Fatalf("plan before run: %s", planLine(p))
	}
	log, res, err := runPipeline(t, context.Background(), chain, store)
	if err != nil || res.Status != StatusSucceeded || !log.has("finished testnode.b") {
		t.Fatalf("run: %v %v", err, log.events)
	}
	if p := testPipeline(t, chain, store, false); planLine(p) != "= testnode.a (cached); = testnode.b (cached)" {
		t.Fatalf("plan after run: %s", planLine(p))
	}
	if p := testPipeline(t, chain, store, true); planLine(p) != "+ testnode.a (will run: --no-cache); + testnode.b (will run: --no-cache)" {
		t.Fatalf("plan --no-cache: %s", planLine(p))
	}
	log, _, _ = runPipeline(t, context.Background(), chain, store)
	if !log.has("cached testnode.a") || !log.has("cached testnode.b") || log.has("started") {
		t.Fatalf("second run: %v", log.events)
	}
	changed := strings.Replace(chain, `value = "b"`, `value = "B"`, 1)
	p := testPipeline(t, changed, store, false)
	p2 := &Planner{Store: store, History: fakeHistory{p: testPipeline(t, chain, store, false)}}
	p, _ = p2.Plan(context.Background(), p.Bound)
	if planLine(p) != "= testnode.a (cached); + testnode.b (will run: config changed)" {
		t.Fatalf("plan after edit: %s", planLine(p))
	}
}

// fakeHistory reports the key parts of a previous plan's nodes.
type fakeHistory struct{ p *Plan }

func (h fakeHistory) LastParts(addr string) (KeyParts, bool) {
	n := h.p.prep[addr]
	parts, missing := h.p.keyParts(n, func(dep string) (map[string]string, string) {
		return h.p.node(dep).Outputs, h.p.node(dep).Action
	})
	return parts, missing == ""
}

func TestFailureSkipsDependants(t *testing.T) {
	src := `
testnode "bad" { fail_times = 5 }
testnode "after" { input = testnode.bad }
testnode "other" { value = "o" }
`
	log, res, err := runPipeline(t, context.Background(), src, newStore(t))
	if !errors.Is(err, ErrNodesFailed) || res.Status != StatusFailed {
		t.Fatalf("err %v status %s", err, res.Status)
	}
	for _, want := range []string{"failed testnode.bad: planned failure", "skipped testnode.after by testnode.bad", "finished testnode.other"} {
		if !log.has(want) {
			t.Errorf("missing %q in %v", want, log.events)
		}
	}
}

func TestRetriesAndTimeout(t *testing.T) {
	src := `
testnode "flaky" {
  fail_times = 2
  retries    = 2
}
testnode "slow" {
  sleep_ms = 5000
  timeout  = "50ms"
}
`
	log, _, _ := runPipeline(t, context.Background(), src, newStore(t))
	if !log.has("started testnode.flaky 3") || !log.has("finished testnode.flaky") {
		t.Errorf("retries: %v", log.events)
	}
	if !log.has("failed testnode.slow: testnode.slow timed out after 50ms") {
		t.Errorf("timeout: %v", log.events)
	}
}

func TestCancelMarksInterrupted(t *testing.T) {
	src := `
testnode "long" { sleep_ms = 10000 }
testnode "next" { input = testnode.long }
`
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	log, res, err := runPipeline(t, ctx, src, newStore(t))
	if !errors.Is(err, ErrInterrupted) || res.Status != StatusInterrupted {
		t.Fatalf("err %v status %s", err, res.Status)
	}
	if time.Since(start) > 5*time.Second || log.has("started testnode.next") {
		t.Fatalf("cancellation not prompt: %v", log.events)
	}
}

func TestPlanWritesNothing(t *testing.T) {
	dir := t.TempDir()
	store := newStore(t)
	os.RemoveAll(store.Dir())
	testPipeline(t, chain, store, false)
	if _, err := os.Stat(store.Dir()); !os.IsNotExist(err) {
		t.Fatalf("plan created the store: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("plan wrote %v", entries)
	}
}

func TestEngineParallelismBound(t *testing.T) {
	src := `
testnode "p1" { sleep_ms = 60 }
testnode "p2" { sleep_ms = 61 }
testnode "p3" { sleep_ms = 62 }
testnode "p4" { sleep_ms = 63 }
`
	for _, par := range []int{1, 2, 4} {
		store := newStore(t)
		peak := &peakHook{}
		e := &Engine{Store: store, Hook: peak, Parallelism: par}
		if _, err := e.Run(context.Background(), testPipeline(t, src, store, false)); err != nil {
			t.Fatal(err)
		}
		if peak.peak != par {
			t.Errorf("parallelism %d: peak %d nodes at once", par, peak.peak)
		}
	}
}

// TestSameKeyRunsOnce runs two nodes with equal cache keys side by side:
// one executes while the other waits on the key's lock and is then served
// from the cache, instead of both writing the same outputs at once.
func TestSameKeyRunsOnce(t *testing.T) {
	src := `
testnode "twin_a" { sleep_ms = 200 }
testnode "twin_b" { sleep_ms = 200 }
`
	store := newStore(t)
	log := &eventLog{}
	e := &Engine{Store: store, Hook: log, Parallelism: 2}
	if _, err := e.Run(context.Background(), testPipeline(t, src, store, false)); err != nil {
		t.Fatal(err)
	}
	ran := counter(&testRuns, "testnode.twin_a").Load() + counter(&testRuns, "testnode.twin_b").Load()
	if ran != 1 || !log.has("cached testnode.twin_") {
		t.Errorf("%d executions, events %v", ran, log.events)
	}
}

// peakHook tracks how many nodes run at once.
type peakHook struct {
	NopHook
	mu        sync.Mutex
	cur, peak int
}

func (h *peakHook) NodeStarted(NodeResult) {
	h.mu.Lock()
	h.cur++
	h.peak = max(h.peak, h.cur)
	h.mu.Unlock()
}

func (h *peakHook) NodeFinished(NodeResult) { h.mu.Lock(); h.cur--; h.mu.Unlock() }

func TestOnFailureAbortStopsRun(t *testing.T) {
	src := `
testnode "a_bad" {
  fail_times = 5
  on_failure = "abort"
}
testnode "b_later" { value = "b" }
`
	store := newStore(t)
	log := &eventLog{}
	e := &Engine{Store: store, Hook: log, Parallelism: 1}
	res, err := e.Run(context.Background(), testPipeline(t, src, store, false))
	if !errors.Is(err, ErrNodesFailed) || res.Status != StatusFailed {
		t.Fatalf("err %v status %s", err, res.Status)
	}
	if log.has("started testnode.b_later") {
		t.Fatalf("a node started after an aborting failure: %v", log.events)
	}
}
