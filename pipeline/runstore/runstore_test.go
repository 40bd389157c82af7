package runstore

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "sub", "llmflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenMigratesAndReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "llmflow.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var mode string
	s.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode)
	var fk, busy int
	s.db.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk)
	s.db.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy)
	if mode != "wal" || fk != 1 || busy != int(BusyTimeout.Milliseconds()) {
		t.Fatalf("journal_mode %s foreign_keys %d busy_timeout %d", mode, fk, busy)
	}
	if v, _ := currentVersion(ctx, s.db); v != SchemaVersion {
		t.Fatalf("schema version %d", v)
	}
	s.Close()
	s, err = Open(path) // idempotent migrations
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// A database from a newer llmflow is refused.
	s, _ = Open(path)
	s.db.Exec(`INSERT INTO schema_version VALUES (999, 'x')`)
	s.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("error %v", err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.db")
	os.WriteFile(garbage, []byte(strings.Repeat("not sqlite ", 100)), 0o644)
	if _, err := Open(garbage); err == nil {
		t.Fatal("opened a non-database")
	}
}

func TestOpenReadOnlyCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x")
	path := filepath.Join(dir, "llmflow.db")
	if _, err := OpenReadOnly(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("OpenReadOnly created the directory")
	}
	s, _ := Open(path)
	id, _ := s.CreateRun(context.Background(), NewRun{PipelineFile: "p.hcl"})
	s.Close()
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := ro.ListRuns(context.Background(), ListOptions{})
	if err != nil || len(runs) != 1 || runs[0].ID != id {
		t.Fatalf("%v %v", runs, err)
	}
	if _, err := ro.CreateRun(context.Background(), NewRun{}); err == nil {
		t.Fatal("read-only store wrote")
	}
	ro.Close()
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("OpenReadOnly left files beside the database: %v", ents)
	}
	// While a writer is active, a reader sees its committed writes.
	w, _ := Open(path)
	defer w.Close()
	w.CreateRun(context.Background(), NewRun{PipelineFile: "p.hcl"})
	ro, err = OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if runs, _ := ro.ListRuns(context.Background(), ListOptions{}); len(runs) != 2 {
		t.Fatalf("reader sees %d runs, want 2", len(runs))
	}
}

func TestRunLifecycle(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	id, err := s.CreateRun(ctx, NewRun{PipelineFile: "quickstart.hcl", Source: "dataset \"x\" {}", Variables: json.RawMessage(`{"seed":1}`), Version: "v0.1"})
	if err != nil {
		t.Fatal(err)
	}
	n1, err := s.StartNode(ctx, NodeStart{RunID: id, Addr: "dataset.web", Kind: "dataset", CacheKey: "sha256:k1",
		KeyComponents: json.RawMessage(`{"config":"c1","inputs":{}}`)})
	if err != nil {
		t.Fatal(err)
	}
	n2, _ := s.StartNode(ctx, NodeStart{RunID: id, Addr: "stage.pretrain.base", Kind: "stage", CacheKey: "sha256:k2",
		Plugin: Plugin{Name: "pretrain", Version: "1", Source: "builtin", SHA256: "abc"}})
	if _, err := s.StartNode(ctx, NodeStart{RunID: id, Addr: "dataset.web", Kind: "dataset"}); err == nil {
		t.Fatal("duplicate attempt accepted")
	}
	if _, err := s.StartNode(ctx, NodeStart{RunID: "nope", Addr: "x", Kind: "x"}); err == nil {
		t.Fatal("node of unknown run accepted (foreign keys off?)")
	}
	d1, d2 := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	must(t, s.RecordArtifact(ctx, Artifact{Digest: d1, Kind: "dataset/text", Rows: 10, Bytes: 100, Path: "/s/a"}))
	must(t, s.RecordArtifact(ctx, Artifact{Digest: d1, Kind: "dataset/text", Rows: 10, Bytes: 100, Path: "/s2/a"}))
	must(t, s.RecordArtifact(ctx, Artifact{Digest: d2, Kind: "checkpoint", Bytes: 5}))
	must(t, s.RecordLineage(ctx, n1, Edge{RoleOutput, "data", d1}))
	must(t, s.RecordLineage(ctx, n2, Edge{RoleInput, "data", d1}, Edge{RoleOutput, "model", d2}, Edge{RoleOutput, "model", d2}))
	must(t, s.RecordParams(ctx, id, 0, map[string]string{"parallelism": "2"}))
	must(t, s.RecordParams(ctx, id, n2, map[string]string{"lr": "0.1", "steps": "10"}))
	must(t, s.RecordParams(ctx, id, n2, map[string]string{"lr": "0.2"}))
	must(t, s.AddMetrics(ctx, id, n2, []Metric{{1, "loss", 3}, {2, "loss", 1}, {3, "loss", 2}, {3, "lr", math.NaN()}}))
	w := s.NewMetricWriter(id, n2)
	w.MaxBatch = 2
	for i := int64(4); i < 9; i++ {
		must(t, w.Add(ctx, i, "loss", float64(i)/10))
	}
	must(t, w.Close(ctx))
	must(t, s.AddEvent(ctx, Event{RunID: id, NodeID: n2, Type: "log", Message: "hello"}))
	must(t, s.FinishNode(ctx, n1, StatusSucceeded, ""))
	must(t, s.FinishNode(ctx, n2, StatusFailed, "boom"))
	n3, _ := s.StartNode(ctx, NodeStart{RunID: id, Addr: "stage.pretrain.base", Kind: "stage", Attempt: 2})
	must(t, s.FinishNode(ctx, n3, StatusSucceeded, ""))
	if err := s.FinishNode(ctx, 9999, StatusSucceeded, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("finish unknown node: %v", err)
	}
	must(t, s.UpdateRun(ctx, id, StatusSucceeded, ""))
	if err := s.UpdateRun(ctx, id, "done", ""); err == nil {
		t.Fatal("invalid status accepted")
	}

	d, err := s.GetRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != StatusSucceeded || d.FinishedAt.IsZero() || d.Source == "" || string(d.Variables) != `{"seed":1}` ||
		d.Host.GoVersion == "" || d.Host.GOMAXPROCS == 0 || d.Version != "v0.1" {
		t.Fatalf("run %+v", d.Run)
	}
	if len(d.Nodes) != 3 || d.Nodes[1].Plugin.SHA256 != "abc" || d.Nodes[1].Error != "boom" || d.Nodes[2].Attempt != 2 {
		t.Fatalf("nodes %+v", d.Nodes)
	}
	if len(d.Artifacts) != 2 || d.Artifacts[0].Path != "/s2/a" || len(d.Lineage) != 3 || d.Lineage[0].Addr != "dataset.web" {
		t.Fatalf("artifacts %+v lineage %+v", d.Artifacts, d.Lineage)
	}
	var loss, lr *MetricSummary
	for i := range d.Metrics {
		switch d.Metrics[i].Name {
		case "loss":
			loss = &d.Metrics[i]
		case "lr":
			lr = &d.Metrics[i]
		}
	}
	if loss == nil || loss.Count != 8 || loss.LastStep != 8 || loss.Last != 0.8 || loss.Min != 0.4 || loss.Max != 3 || loss.Addr != "stage.pretrain.base" {
		t.Fatalf("loss %+v", loss)
	}
	if lr == nil || !math.IsNaN(lr.Last) {
		t.Fatalf("lr %+v", lr)
	}
	if len(d.Params) != 3 || d.Params[1].Name != "lr" || d.Params[1].Value != "0.2" {
		t.Fatalf("params %+v", d.Params)
	}
	ev, _ := s.Events(ctx, id, 0)
	if len(ev) != 1 || ev[0].Message != "hello" || ev[0].NodeID != n2 {
		t.Fatalf("events %+v", ev)
	}
	series, _ := s.MetricSeries(ctx, id, n2, "loss")
	if len(series) != 8 || series[0].Value != 3 {
		t.Fatalf("series %+v", series)
	}
	runs, _ := s.ListRuns(ctx, ListOptions{})
	if len(runs) != 1 || runs[0].Nodes[StatusSucceeded] != 2 || runs[0].Nodes[StatusFailed] != 0 || runs[0].Source != "" {
		t.Fatalf("runs %+v", runs)
	}
	if _, err := s.GetRun(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing run: %v", err)
	}
}

func TestResolveRunIDAndLatestNode(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a, _ := s.CreateRun(ctx, NewRun{ID: "20260102-030405-aaaaaa", PipelineFile: "p.hcl", StartedAt: t0})
	b, _ := s.CreateRun(ctx, NewRun{ID: "20260102-030406-abbbbb", PipelineFile: "p.hcl", StartedAt: t0.Add(time.Second)})
	c, _ := s.CreateRun(ctx, NewRun{ID: "20260102-030407-cccccc", PipelineFile: "other.hcl", StartedAt: t0.Add(2 * time.Second)})
	for _, tc := range []struct{ ref, want, err string }{
		{"latest", c, ""}, {a, a, ""}, {"20260102-030406", b, ""}, {"20260102-0304", "", "ambiguous"}, {"zzz", "", "not found"}, {"%", "", "not found"},
	} {
		got, err := s.ResolveRunID(ctx, tc.ref)
		if got != tc.want || (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ResolveRunID(%q) = %q, %v", tc.ref, got, err)
		}
	}
	if n, err := s.LatestNodeByKey(ctx, "p.hcl", "clean.web"); n != nil || err != nil {
		t.Fatalf("%v %v", n, err)
	}
	start := func(run, key, comps, status string) {
		id, err := s.StartNode(ctx, NodeStart{RunID: run, Addr: "clean.web", Kind: "clean", CacheKey: key, KeyComponents: json.RawMessage(comps)})
		must(t, err)
		must(t, s.FinishNode(ctx, id, status, ""))
	}
	start(a, "k1", `{"config":"c1"}`, StatusSucceeded)
	start(b, "k2", `{"config":"c2"}`, StatusFailed)
	start(c, "k3", `{"config":"c3"}`, StatusSucceeded)
	n, err := s.LatestNodeByKey(ctx, "p.hcl", "clean.web")
	if err != nil || n == nil || n.CacheKey != "k1" || string(n.KeyComponents) != `{"config":"c1"}` {
		t.Fatalf("%+v %v", n, err)
	}
	// A file without runs of its own (a renamed copy) falls back to the
	// latest execution in any run.
	for _, file := range []string{"", "copy.hcl", "other.hcl"} {
		if n, _ := s.LatestNodeByKey(ctx, file, "clean.web"); n == nil || n.CacheKey != "k3" {
			t.Fatalf("%q: %+v", file, n)
		}
	}
}

func TestMarkStaleRunsInterrupted(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	host := CurrentHost()
	live, _ := s.CreateRun(ctx, NewRun{PipelineFile: "p.hcl"})
	dead := host
	dead.PID, dead.PIDStart = 1<<30, "1"
	gone, _ := s.CreateRun(ctx, NewRun{PipelineFile: "p.hcl", Host: dead})
	reused := host
	reused.PIDStart = "not-our-start"
	reusedID, _ := s.CreateRun(ctx, NewRun{PipelineFile: "p.hcl", Host: reused})
	other := dead
	other.Hostname = "elsewhere"
	otherID, _ := s.CreateRun(ctx, NewRun{PipelineFile: "p.hcl", Host: other})
	nid, _ := s.StartNode(ctx, NodeStart{RunID: gone, Addr: "a.b", Kind: "a"})
	marked, err := s.MarkStaleRunsInterrupted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(marked, ",") != gone+","+reusedID && strings.Join(marked, ",") != reusedID+","+gone {
		t.Fatalf("marked %v (live %s gone %s reused %s other %s)", marked, live, gone, reusedID, otherID)
	}
	d, _ := s.GetRun(ctx, gone)
	if d.Status != StatusInterrupted || d.Nodes[0].Status != StatusInterrupted || d.Nodes[0].ID != nid || d.FinishedAt.IsZero() {
		t.Fatalf("%+v", d)
	}
	for _, id := range []string{live, otherID} {
		if d, _ := s.GetRun(ctx, id); d.Status != StatusRunning {
			t.Fatalf("run %s: %s", id, d.Status)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	run, _ := s.CreateRun(ctx, NewRun{PipelineFile: "p.hcl"})
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			node, err := s.StartNode(ctx, NodeStart{RunID: run, Addr: "n.x", Kind: "n", Attempt: g + 1})
			if err != nil {
				errs <- err
				return
			}
			w := s.NewMetricWriter(run, node)
			for i := 0; i < 1000; i++ {
				if err := w.Add(ctx, int64(i), "loss", 1); err != nil {
					errs <- err
					return
				}
			}
			if err := w.Close(ctx); err != nil {
				errs <- err
				return
			}
			errs <- s.FinishNode(ctx, node, StatusSucceeded, "")
		}()
	}
	for g := 0; g < 8; g++ {
		must(t, <-errs)
	}
	d, _ := s.GetRun(ctx, run)
	var total int64
	for _, m := range d.Metrics {
		total += m.Count
	}
	if len(d.Nodes) != 8 || total != 8000 {
		t.Fatalf("%d nodes, %d points", len(d.Nodes), total)
	}
}

// TestLatestOutput finds a node's output in the newest run in which it
// succeeded or was cached, skipping later runs where it failed.
func TestLatestOutput(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	run := func(id string, at int, status, digest string) {
		r, err := s.CreateRun(ctx, NewRun{ID: id, PipelineFile: "p.hcl", StartedAt: t0.Add(time.Duration(at) * time.Second)})
		must(t, err)
		n, err := s.StartNode(ctx, NodeStart{RunID: r, Addr: "stage.chat", Kind: "stage"})
		must(t, err)
		if digest != "" {
			must(t, s.RecordLineage(ctx, n, Edge{Role: RoleInput, Name: "data", Digest: "sha256:in"}, Edge{Role: RoleOutput, Name: "model", Digest: digest}))
		}
		must(t, s.FinishNode(ctx, n, status, ""))
	}
	if _, err := s.LatestOutput(ctx, "stage.chat", "model"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty database: %v", err)
	}
	run("20260102-030405-aaaaaa", 0, StatusSucceeded, "sha256:one")
	run("20260102-030406-bbbbbb", 1, StatusSucceeded, "sha256:two")
	run("20260102-030407-cccccc", 2, StatusFailed, "")
	got, err := s.LatestOutput(ctx, "stage.chat", "model")
	if err != nil || got != (NodeOutput{"20260102-030406-bbbbbb", "sha256:two"}) {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := s.LatestOutput(ctx, "stage.chat", "report"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing output name: %v", err)
	}
}
