package runview

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmflow/llmflow/internal/testenv"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

// nodeNames are the nodes every generated run records, like the quickstart's.
var nodeNames = []string{"dataset.web", "clean.web", "dedup.web", "pii.web", "tokenizer.bpe", "tokenize.web", "stage.tiny", "stage.report"}

// generateStore records runs runs, each with the quickstart's nodes and a
// training stage that logged steps steps of five metrics, and returns the
// database path and the run ids, oldest first.
func generateStore(tb testing.TB, runs, steps int) (string, []string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "llmflow.db")
	db, err := runstore.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for r := range runs {
		id, err := db.CreateRun(ctx, runstore.NewRun{ID: fmt.Sprintf("run-%04d", r), PipelineFile: "/p/pipeline.hcl",
			Variables: json.RawMessage(`{"seed":1}`), StartedAt: start.Add(time.Duration(r) * time.Minute)})
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, id)
		for i, addr := range nodeNames {
			kind, _, _ := strings.Cut(addr, ".")
			nid, err := db.StartNode(ctx, runstore.NodeStart{RunID: id, Addr: addr, Kind: kind, CacheKey: fmt.Sprintf("k%d-%d", r, i),
				Plugin: runstore.Plugin{Name: map[bool]string{true: "pretrain"}[addr == "stage.tiny"]}})
			if err != nil {
				tb.Fatal(err)
			}
			var ms []runstore.Metric
			if addr == "stage.tiny" {
				for s := 1; s <= steps; s++ {
					x := float64(s)
					ms = append(ms, runstore.Metric{Step: int64(s), Name: "train_loss", Value: 5 / math.Sqrt(x)},
						runstore.Metric{Step: int64(s), Name: "lr", Value: 1e-3 * math.Cos(x/float64(steps))},
						runstore.Metric{Step: int64(s), Name: "grad_norm", Value: 1 / x},
						runstore.Metric{Step: int64(s), Name: "tokens_per_s", Value: 20000 + x})
					if s%10 == 0 {
						ms = append(ms, runstore.Metric{Step: int64(s), Name: "val_loss", Value: 5.1 / math.Sqrt(x)})
					}
				}
			} else {
				ms = append(ms, runstore.Metric{Name: "rows", Value: 100}, runstore.Metric{Name: "docs_in", Value: 100},
					runstore.Metric{Name: "docs_kept", Value: 90}, runstore.Metric{Name: "dropped.too_short", Value: 10})
			}
			if err := db.AddMetrics(ctx, id, nid, ms); err != nil {
				tb.Fatal(err)
			}
			db.FinishNode(ctx, nid, runstore.StatusSucceeded, "")
		}
		db.UpdateRun(ctx, id, runstore.StatusSucceeded, "")
	}
	return path, ids
}

func get(t *testing.T, h http.Handler, method, url string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, url, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

func TestServerPages(t *testing.T) {
	path, ids := generateStore(t, 3, 50)
	h := (&Server{DB: path, Store: t.TempDir(), Version: "test"}).Handler()
	for _, c := range []struct {
		method, url string
		code        int
		want        string
	}{
		{"GET", "/", 200, `href="/runs/run-0002"`},
		{"GET", "/runs/" + ids[1], 200, `data-chart="stage.tiny/loss"`},
		{"GET", "/runs/latest", 200, "run-0002"},
		{"GET", "/runs/run-00", 400, "ambiguous"},
		{"GET", "/runs/nope", 404, "not found"},
		{"GET", "/runs/run-0001/live.json", 200, `"status":"succeeded"`},
		{"GET", "/compare?a=run-0000&b=run-0001", 200, "Curves, a against b"},
		{"GET", "/compare?a=run-0000", 400, "two runs"},
		{"GET", "/artifacts/sha256:0123456789ab", 404, "not in store"},
		{"GET", "/assets/uplot.min.js", 200, "uPlot"},
		{"GET", "/assets/app.js", 200, "llmflowCharts"},
		{"POST", "/", 405, "read-only"},
		{"DELETE", "/runs/run-0001", 405, "read-only"},
	} {
		code, body := get(t, h, c.method, c.url)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s %s: %d, want %d with %q\n%.300s", c.method, c.url, code, c.code, c.want, body)
		}
	}
}

func TestServerWithoutDatabase(t *testing.T) {
	h := (&Server{DB: filepath.Join(t.TempDir(), "none.db"), Store: t.TempDir()}).Handler()
	if code, body := get(t, h, "GET", "/"); code != 200 || !strings.Contains(body, "No runs recorded yet") {
		t.Errorf("runs list without a database: %d\n%s", code, body)
	}
	if code, _ := get(t, h, "GET", "/runs/latest"); code != 404 {
		t.Errorf("run page without a database: %d", code)
	}
}

// BenchmarkRunsList measures the runs list page over 1,000 recorded runs;
// the target is an answer in under 100 ms.
func BenchmarkRunsList(b *testing.B) {
	path, _ := generateStore(b, 1000, 10)
	h := (&Server{DB: path, Store: b.TempDir()}).Handler()
	b.ResetTimer()
	cpu0 := testenv.CPUTime()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "run-0000") {
			b.Fatalf("runs list: %d", rec.Code)
		}
	}
	reportPerOp(b, cpu0, "page")
}

// reportPerOp reports wall and CPU milliseconds per iteration: on a shared
// machine the CPU time is the steadier figure.
func reportPerOp(b *testing.B, cpu0 time.Duration, unit string) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/"+unit)
	b.ReportMetric(float64((testenv.CPUTime()-cpu0).Microseconds())/1e3/float64(b.N), "cpu-ms/"+unit)
}

// BenchmarkReport measures building and writing the report of a run whose
// training stage logged 10,000 steps; the targets are under 1 s and 2 MB.
func BenchmarkReport(b *testing.B) {
	path, ids := generateStore(b, 1, 10000)
	db, err := runstore.OpenReadOnly(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var size int
	b.ResetTimer()
	cpu0 := testenv.CPUTime()
	for b.Loop() {
		p, err := BuildRun(context.Background(), db, nil, ids[0])
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteReport(&buf, p, "bench"); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size)/1e6, "MB/report")
	reportPerOp(b, cpu0, "report")
}
