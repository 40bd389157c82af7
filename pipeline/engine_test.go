package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

// testConfig configures the "testnode" type used by engine tests.
type testConfig struct {
	Value     string `hcl:"value,optional" json:"value"`
	FailTimes int    `hcl:"fail_times,optional" json:"fail_times"`
	SleepMS   int    `hcl:"sleep_ms,optional" json:"sleep_ms"`
}

var (
	testRuns  sync.Map // addr -> *atomic.Int32, counts Run calls
	testFails sync.Map // addr -> *atomic.Int32, failures so far
)

func counter(m *sync.Map, addr string) *atomic.Int32 {
	c, _ := m.LoadOrStore(addr, new(atomic.Int32))
	return c.(*atomic.Int32)
}

func init() {
	RegisterBlockType(BlockType{
		Name:      "testnode",
		Inputs:    []Port{{Name: "input"}},
		Outputs:   []Port{{Name: "out", Kind: "test"}},
		NewConfig: func() any { return &testConfig{} },
		Run:       runTestNode,
	})
}

func runTestNode(ctx context.Context, run *NodeRun) (map[string]string, error) {
	c := run.Config.(*testConfig)
	counter(&testRuns, run.Addr).Add(1)
	run.Log("value " + c.Value)
	if counter(&testFails, run.Addr).Add(1) <= int32(c.FailTimes) {
		return nil, fmt.Errorf("planned failure with value %q", c.Value)
	}
	select {
	case <-time.After(time.Duration(c.SleepMS) * time.Millisecond):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	run.Progress(1, 1, "step")
	run.Metric("loss", 1, 0.5)
	st, err := run.Store.NewStaging("test")
	if err != nil {
		return nil, err
	}
	content := c.Value + "|" + run.Inputs["input"].Digest
	if err := os.WriteFile(filepath.Join(st.Dir(), "v.txt"), []byte(content), 0o644); err != nil {
		return nil, err
	}
	m, err := st.Commit()
	if err != nil {
		return nil, err
	}
	return map[string]string{"out": m.Digest}, nil
}

// eventLog is a Hook that records events as lines.
type eventLog struct {
	NopHook
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(s string)              { l.mu.Lock(); l.events = append(l.events, s); l.mu.Unlock() }
func (l *eventLog) NodeStarted(r NodeResult)  { l.add(fmt.Sprintf("started %s %d", r.Addr, r.Attempt)) }
func (l *eventLog) NodeCached(r NodeResult)   { l.add("cached " + r.Addr) }
func (l *eventLog) NodeFinished(r NodeResult) { l.add("finished " + r.Addr) }
func (l *eventLog) NodeFailed(r NodeResult)   { l.add("failed " + r.Addr + ": " + r.Err.Error()) }
func (l *eventLog) NodeSkipped(a, c string)   { l.add("skipped " + a + " by " + c) }
func (l *eventLog) RunFinished(r RunResult)   { l.add("run " + r.Status) }
func (l *eventLog) NodeLog(a, line string)    { l.add("log " + a + ": " + line) }

func (l *eventLog) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if strings.HasPrefix(e, s) {
			return true
		}
	}
	return false
}

// testPipeline loads src and plans it against a store in a fresh directory.
func testPipeline(t testing.TB, src string, store *artifact.Store, noCache bool) *Plan {
	t.Helper()
	cfg, diags := Load(filepath.Join(t.TempDir(), "p.hcl"), []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b, diags := cfg.Bind(nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags := (&Planner{Store: store, NoCache: noCache}).Plan(context.Background(), b)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

func runPipeline(t *testing.T, ctx context.Context, src string, store *artifact.Store) (*eventLog, *RunResult, error) {
	t.Helper()
	log := &eventLog{}
	e := &Engine{Store: store, Hook: log, Parallelism: 2}
	res, err := e.Run(ctx, testPipeline(t, src, store, false))
	return log, res, err
}

func newStore(t testing.TB) *artifact.Store {
	s, err := artifact.OpenStore(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newRunDB opens a run database in a temporary directory, closed when the
// test ends.
func newRunDB(t testing.TB) *runstore.Store {
	db, err := runstore.Open(filepath.Join(t.TempDir(), "llmflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func planLine(p *Plan) string {
	var lines []string
	for _, n := range p.Nodes {
		lines = append(lines, strings.TrimSpace(n.String()))
	}
	return strings.Join(lines, "; ")
}
