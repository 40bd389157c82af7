package runview

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// view is what every page template receives.
type view struct {
	Title      string
	Version    string
	Standalone bool        // the report: assets inline, no links to the UI
	LiveURL    string      // set while the run is going: app.js polls it
	Charts     template.JS // JSON of the page's charts
	UplotJS    template.JS
	AppJS      template.JS
	UplotCSS   template.CSS
	StyleCSS   template.CSS

	Run      *RunPage
	Runs     []RunRow
	More     bool
	Artifact *ArtifactPage
	Compare  *ComparePage
}

// digestLink is the argument of the "digest" template.
type digestLink struct{ Digest, Link string }

var funcs = template.FuncMap{
	"short": shortDigest,
	"num":   formatNum,
	"ptrnum": func(v *float64) string {
		if v == nil {
			return "-"
		}
		return formatNum(*v)
	},
	"same":     func(a, b *float64) bool { return a != nil && b != nil && *a == *b },
	"add":      func(a, b int) int { return a + b },
	"sub":      func(a, b float64) float64 { return a - b },
	"time":     formatTime,
	"duration": Duration,
	"base":     filepath.Base,
	"link": func(v *view, digest string) digestLink {
		if v.Standalone || digest == "" {
			return digestLink{Digest: digest}
		}
		return digestLink{Digest: digest, Link: "/artifacts/" + digest}
	},
}

// pages holds one template set per page: the shared base plus the page's
// own "content".
var pages = map[string]*template.Template{}

func init() {
	base := template.Must(template.New("base").Funcs(funcs).ParseFS(templateFS, "templates/base.html"))
	for _, name := range []string{"run", "runs", "artifact", "compare"} {
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
		pages[name] = t
	}
}

func (v *view) render(w io.Writer, page string) error {
	return pages[page].ExecuteTemplate(w, "page", v)
}

func chartsJSON(cs []Chart) template.JS {
	if cs == nil {
		cs = []Chart{}
	}
	// encoding/json escapes <, > and &, so the JSON cannot close its script element.
	b, _ := json.Marshal(cs)
	return template.JS(b)
}

func asset(name string) string {
	b, err := assetFS.ReadFile("assets/" + name)
	if err != nil {
		panic("runview: missing embedded asset " + name) // a build without the assets is broken
	}
	return string(b)
}

// WriteReport writes the run page as one self-contained HTML file: styles,
// chart data, uPlot and the page script are inline, so it opens offline.
func WriteReport(w io.Writer, p *RunPage, version string) error {
	v := &view{Title: "llmflow run " + p.Run.ID, Version: version, Standalone: true, Run: p, Charts: chartsJSON(p.Charts),
		UplotJS: template.JS(asset("uplot.min.js")), AppJS: template.JS(asset("app.js")),
		UplotCSS: template.CSS(asset("uplot.min.css")), StyleCSS: template.CSS(asset("style.css"))}
	return v.render(w, "run")
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// RunRow is a run of the runs list, its cells formatted in Go: a template
// calling a function per cell took most of the page's time at 1,000 runs.
type RunRow struct {
	ID, Status, Started, Duration, Pipeline, Nodes string
	A, B                                           bool // preselected for comparison
}

func runRows(runs []runstore.RunSummary) []RunRow {
	out := make([]RunRow, len(runs))
	for i, r := range runs {
		out[i] = RunRow{ID: r.ID, Status: r.Status, Started: formatTime(r.StartedAt), Duration: Duration(r.StartedAt, r.FinishedAt),
			Pipeline: filepath.Base(r.PipelineFile), Nodes: NodeCounts(r.Nodes), A: i == 1, B: i == 0}
	}
	return out
}

// ArtifactPage is an artifact's manifest, schema and first rows.
type ArtifactPage struct {
	Manifest *artifact.Manifest
	Path     string
	Schema   []SchemaField
	Sample   *Sample
	Meta     map[string]string
}

// SchemaField is a column of a dataset.
type SchemaField struct{ Name, Type string }

// ComparePage is the diff of two runs and their common curves overlaid.
type ComparePage struct {
	Diff   *Diff
	Charts []Chart
}

func shortDigest(d string) string {
	if strings.HasPrefix(d, "sha256:") && len(d) > 19 {
		return d[:19] + "…"
	}
	if d == "" {
		return "-"
	}
	return d
}

func formatNum(v float64) string {
	if v == float64(int64(v)) && v < 1e15 && v > -1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// NodeCounts renders a run's node status counts in a fixed order.
func NodeCounts(m map[string]int) string {
	var parts []string
	for _, s := range []string{"succeeded", "cached", "failed", "skipped", "interrupted", "running"} {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[s], s))
		}
	}
	return strings.Join(parts, ", ")
}
