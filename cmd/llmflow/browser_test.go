package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/llmflow/llmflow/internal/testenv"
)

var screenshots = flag.String("screenshots", "", "write PNG screenshots of the UI pages into this directory")

// browser starts headless Chromium (Debian's chromium package) and returns
// a chromedp context on it. Without a browser the test is skipped, or fails
// when CI=true, where .ci/run installs it.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		testenv.SkipOrFail(t, "no chromium on PATH: the UI's browser tests need it (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1300, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// serveUI starts `llmflow ui` on a free loopback port in dir and returns
// its base URL; the server is stopped when the test ends.
func serveUI(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command(binary, "ui", "--addr", "127.0.0.1:0")
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("llmflow ui printed no address: %v", err)
	}
	_, rest, _ := strings.Cut(line, "http://")
	url, _, _ := strings.Cut(rest, " ")
	return "http://" + strings.TrimSuffix(url, "/")
}

// chartPoints is the JavaScript that counts the points the page drew in one
// series of a chart: what uPlot holds, not what the server sent.
func chartPoints(id string, series int) string {
	return fmt.Sprintf(`(function () {
		var c = window.llmflowCharts && window.llmflowCharts[%q];
		return c ? c.chart.data[%d].filter(function (v) { return v !== null && v !== undefined; }).length : -1;
	})()`, id, series)
}

// TestUIInBrowser records two runs of a short quickstart, the second with
// a higher learning rate, opens the runs list, follows the link to the
// newest run and reads the loss chart's points out of the page, then opens
// an artifact page and the comparison of the two runs.
func TestUIInBrowser(t *testing.T) {
	ctx := browser(t)
	dir := quickstart(t)
	path := filepath.Join(dir, "pipeline.hcl")
	src, _ := os.ReadFile(path)
	short := shortTraining(string(src), 60)
	for i, text := range []string{short, strings.Replace(short, "lr           = 0.002", "lr           = 0.004", 1)} {
		os.WriteFile(path, []byte(text), 0o644)
		if res := llmflow(t, dir, "run", "pipeline.hcl"); res.code != 0 {
			t.Fatalf("run %d: %s", i, res.stderr)
		}
	}
	base := serveUI(t, dir)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(`table.runs tr[data-run]`)); err != nil {
		t.Fatal(err)
	}
	rows := evaluate[int](t, ctx, `document.querySelectorAll("table.runs tr[data-run]").length`)
	run, err := chromedp.Run(ctx, chromedp.AttributeValue(`table.runs tr[data-run]`, "data-run"))
	if err != nil {
		t.Fatal(err)
	}
	runID := run.Value
	if err := chromedp.Do(ctx, chromedp.Click(`table.runs tr[data-run] a`),
		chromedp.WaitVisible(`figure[data-chart="stage.tiny/loss"] canvas`)); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || runID == "" {
		t.Errorf("runs list shows %d runs (%q), want the two runs", rows, runID)
	}
	evaluate[bool](t, ctx, `(document.querySelector("figure.chart").parentNode.previousElementSibling.scrollIntoView(), true)`)
	snap(t, ctx, "ui-run.png")
	want := recordedSteps(t, dir)
	for i, series := range []string{"train_loss", "val_loss"} {
		if got := evaluate[int](t, ctx, chartPoints("stage.tiny/loss", i+1)); got != want["stage.tiny "+series] {
			t.Errorf("the page drew %d points of %s, the run recorded %d", got, series, want["stage.tiny "+series])
		}
	}

	if err := chromedp.Do(ctx, chromedp.Click(`table.lineage a.digest`), chromedp.WaitVisible(`table.schema`)); err != nil {
		t.Fatal(err)
	}
	schema := evaluate[int](t, ctx, `document.querySelectorAll("table.schema tr").length`)
	sample := evaluate[int](t, ctx, `document.querySelectorAll("table.sample-rows tr").length`)
	if schema < 2 || sample < 2 {
		t.Errorf("artifact page: %d schema rows, %d sample rows", schema-1, sample-1)
	}
	snap(t, ctx, "ui-artifact.png")

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(`table.runs`),
		chromedp.Click(`form.compare button`),
		chromedp.WaitVisible(`figure[data-chart="stage.tiny/train_loss"] canvas`)); err != nil {
		t.Fatal(err)
	}
	if title, err := chromedp.Run(ctx, chromedp.Text(`h1`)); err != nil || title != "Compare runs" {
		t.Fatalf("compare page: %q, %v", title, err)
	}
	if lr := evaluate[string](t, ctx, `[...document.querySelectorAll("table.changes td")].map(td => td.textContent).join(" ")`); !strings.Contains(lr, "0.002 0.004") {
		t.Errorf("the comparison does not show lr 0.002 -> 0.004: %s", lr)
	}
	snap(t, ctx, "ui-compare.png")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(`table.runs`)); err == nil {
		snap(t, ctx, "ui-runs.png")
	}
}

// TestUILiveCurve opens the page of a run while its training stage is
// going and watches the loss curve grow without reloading the page.
func TestUILiveCurve(t *testing.T) {
	ctx := browser(t)
	dir := quickstart(t)
	path := filepath.Join(dir, "pipeline.hcl")
	src, _ := os.ReadFile(path)
	long := strings.Replace(string(src), "max_steps    = 300", "max_steps    = 5000", 1)
	long = strings.Replace(long, "log_every    = 10", "log_every    = 5", 1)
	os.WriteFile(path, []byte(long), 0o644)
	run := exec.Command(binary, "run", "--json", "pipeline.hcl")
	run.Dir = dir
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { run.Process.Signal(syscall.SIGINT); run.Wait() }()
	base := serveUI(t, dir)

	// The page keeps polling; a reload (a new chart appearing) starts the
	// count again, so only growth within one page counts.
	first, deadline := -1, time.Now().Add(2*time.Minute)
	var opened time.Time
	for time.Now().Before(deadline) {
		// Until the run is recorded the page is a 404 that does not poll:
		// open it again until the loss chart shows.
		if first < 0 && time.Since(opened) > 5*time.Second {
			if err := chromedp.Do(ctx, chromedp.Navigate(base+"/runs/latest")); err != nil {
				t.Fatal(err)
			}
			opened = time.Now()
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](chartPoints("stage.tiny/loss", 1)))
		if err != nil || n <= 0 {
			time.Sleep(300 * time.Millisecond)
			continue
		}
		if first < 0 {
			first = n
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__samePage = true`)); err != nil {
				continue
			}
		}
		if same, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__samePage === true`)); !same { // reloaded: count from here
			first = -1
			continue
		}
		if n >= first+3 {
			if live, _ := chromedp.Run(ctx, chromedp.AttributeValue(`body`, "data-live-url")); live.Value == "" {
				t.Errorf("the page of a running run has no live URL")
			}
			snap(t, ctx, "ui-live.png")
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("the loss curve did not grow on the live page within 2 minutes (first count %d)", first)
}

// snap writes a screenshot of the window when -screenshots is given.
func snap(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name), png, 0o644); err != nil {
		t.Error(err)
	}
}

// evaluate runs JavaScript in the page and returns its value.
func evaluate[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}
