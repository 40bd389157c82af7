package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestReport writes the report of a training run and reads it back as a
// browser would: one file, nothing fetched from elsewhere, and every chart
// carrying exactly the points the run recorded for its series.
func TestReport(t *testing.T) {
	dir := trainedRun(t)
	out := filepath.Join(t.TempDir(), "report.html")
	res := llmflow(t, dir, "report", "latest", "-o", out)
	if res.code != 0 {
		t.Fatalf("report: %d\n%s", res.code, res.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 2<<20 {
		t.Errorf("report is %d bytes; the target is under 2 MB", len(b))
	}
	doc, err := html.Parse(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	var figures = map[string]string{} // chart id -> data-points
	var chartJSON string
	var text strings.Builder
	walk(doc, func(n *html.Node) {
		if n.Type == html.TextNode {
			text.WriteString(n.Data)
			text.WriteString(" ")
		}
		if n.Type != html.ElementNode {
			return
		}
		for _, a := range n.Attr {
			if (a.Key == "src" || a.Key == "href") && n.Data != "a" {
				t.Errorf("<%s %s=%q>: the report must not load anything", n.Data, a.Key, a.Val)
			}
		}
		if n.Data == "figure" && attr(n, "data-chart") != "" {
			figures[attr(n, "data-chart")] = attr(n, "data-points")
		}
		if n.Data == "script" && attr(n, "id") == "chart-data" && n.FirstChild != nil {
			chartJSON = n.FirstChild.Data
		}
	})
	var charts []struct {
		ID, Node string
		Labels   []string
		X        []int64
		Y        [][]*float64
		Points   int
	}
	if err := json.Unmarshal([]byte(chartJSON), &charts); err != nil {
		t.Fatalf("chart data: %v", err)
	}
	want := recordedSteps(t, dir)
	if len(charts) == 0 || len(charts) != len(figures) {
		t.Fatalf("%d charts in the data, %d chart figures", len(charts), len(figures))
	}
	for _, c := range charts {
		total := 0
		for i, label := range c.Labels {
			n := 0
			for _, v := range c.Y[i] {
				if v != nil {
					n++
				}
			}
			if w := want[c.Node+" "+label]; n != w || len(c.Y[i]) != len(c.X) {
				t.Errorf("chart %s series %s: %d points over %d steps, want %d", c.ID, label, n, len(c.X), w)
			}
			total += n
		}
		if figures[c.ID] != itoa(total) || c.Points != total {
			t.Errorf("chart %s: figure says %s points, data %d, series hold %d", c.ID, figures[c.ID], c.Points, total)
		}
	}
	if _, ok := figures["stage.tiny/loss"]; !ok {
		t.Errorf("no loss chart for stage.tiny among %v", figures)
	}
	page := text.String()
	for _, want := range []string{"Dataprep funnel", "Dropped per rule", "PII found per type", "Evaluation: stage.report",
		"perplexity", "The small model", "Plugins", "pretrain", "Pipeline outputs", "Inputs and outputs", "stage.tiny"} {
		if !strings.Contains(page, want) {
			t.Errorf("report text lacks %q", want)
		}
	}
}

// recordedSteps counts the distinct steps of every node metric of the
// latest run, from runs metrics.
func recordedSteps(t *testing.T, dir string) map[string]int {
	var points []struct {
		Node, Name string
		Step       int64
	}
	mustJSON(t, llmflow(t, dir, "runs", "metrics", "latest", "--format", "json"), &points)
	seen := map[string]bool{}
	out := map[string]int{}
	for _, p := range points {
		k := p.Node + " " + p.Name
		if s := k + " " + itoa(int(p.Step)); !seen[s] {
			seen[s] = true
			out[k]++
		}
	}
	return out
}

func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
