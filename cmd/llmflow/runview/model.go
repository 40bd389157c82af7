package runview

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

// RunPage is everything the run page and the report show about one run.
type RunPage struct {
	Run       *runstore.RunDetail
	Variables []Change // name and value (in A)
	Nodes     []NodeRow
	Graph     *Graph
	Charts    []Chart
	Funnel    []FunnelStep
	Drops     []Figure // rows dropped per cleaning rule
	PII       []Figure // PII found per type
	Evals     []EvalReport
	Plugins   []runstore.Plugin
	Outputs   []OutputRow // pipeline outputs
	Lineage   []LineageRow
}

// NodeRow is a node's last attempt.
type NodeRow struct {
	Addr, Kind, Status, Error string
	Attempt                   int
	Duration                  string
	Cached                    bool
}

// OutputRow is a named pipeline output.
type OutputRow struct {
	Name string
	runstore.Artifact
}

// LineageRow is one input or output of a node with its artifact.
type LineageRow struct {
	Node, Role, Name string
	runstore.Artifact
}

// Figure is a named number.
type Figure struct {
	Node, Name string
	Value      float64
}

// EvalReport is an eval stage's scores and samples, read from its report
// artifact.
type EvalReport struct {
	Node    string
	Scores  []Figure
	Samples []EvalSample
}

// EvalSample is one prompt and what the model wrote.
type EvalSample struct {
	Prompt     string `json:"prompt"`
	Completion string `json:"completion"`
}

// BuildRun gathers the run page of run id. store (optional) is read for
// eval reports; without it they are left out.
func BuildRun(ctx context.Context, db *runstore.Store, store *artifact.Store, id string) (*RunPage, error) {
	d, err := db.GetRun(ctx, id)
	if err != nil {
		return nil, err
	}
	curves, err := db.Curves(ctx, id)
	if err != nil {
		return nil, err
	}
	p := &RunPage{Run: d, Plugins: RunPlugins(d), Charts: RunCharts(curves)}
	vars := variables(d)
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		p.Variables = append(p.Variables, Change{Name: k, A: vars[k]})
	}
	p.Nodes = nodeRows(d)
	p.Graph = layoutGraph(d, p.Nodes)
	p.Funnel, p.Drops, p.PII = funnel(d)
	p.Evals = evalReports(d, store)
	arts := map[string]runstore.Artifact{}
	for _, a := range d.Artifacts {
		arts[a.Digest] = a
	}
	for _, name := range slices.Sorted(maps.Keys(d.Outputs)) {
		p.Outputs = append(p.Outputs, OutputRow{Name: name, Artifact: d.Outputs[name]})
	}
	for _, e := range d.Lineage {
		a, ok := arts[e.Digest]
		if !ok {
			a = runstore.Artifact{Digest: e.Digest}
		}
		p.Lineage = append(p.Lineage, LineageRow{Node: e.Addr, Role: e.Role, Name: e.Name, Artifact: a})
	}
	return p, nil
}

// RunPlugins returns the distinct plugins of a run's nodes in first-use order.
func RunPlugins(d *runstore.RunDetail) []runstore.Plugin {
	var out []runstore.Plugin
	for _, n := range d.Nodes {
		if n.Plugin.Name != "" && !slices.Contains(out, n.Plugin) {
			out = append(out, n.Plugin)
		}
	}
	return out
}

// nodeRows keeps the last attempt of every node, in start order.
func nodeRows(d *runstore.RunDetail) []NodeRow {
	idx := map[string]int{}
	var out []NodeRow
	for _, n := range d.Nodes {
		r := NodeRow{Addr: n.Addr, Kind: n.Kind, Status: n.Status, Error: n.Error, Attempt: n.Attempt,
			Duration: Duration(n.StartedAt, n.FinishedAt), Cached: n.Status == runstore.StatusCached}
		if i, ok := idx[n.Addr]; ok {
			out[i] = r
			continue
		}
		idx[n.Addr] = len(out)
		out = append(out, r)
	}
	return out
}

// Duration renders end-start, or "-" while unfinished.
func Duration(start, end time.Time) string {
	if end.IsZero() {
		return "-"
	}
	return end.Sub(start).Round(time.Millisecond).String()
}

// evalReports reads the report artifacts that eval stages wrote.
func evalReports(d *runstore.RunDetail, store *artifact.Store) []EvalReport {
	if store == nil {
		return nil
	}
	kinds := map[string]string{}
	for _, a := range d.Artifacts {
		kinds[a.Digest] = a.Kind
	}
	var out []EvalReport
	for _, e := range d.Lineage {
		if e.Role != runstore.RoleOutput || kinds[e.Digest] != "report" || !store.Has(e.Digest) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(store.Path(e.Digest), "report.json"))
		if err != nil {
			continue
		}
		var raw map[string]json.RawMessage
		if json.Unmarshal(b, &raw) != nil {
			continue
		}
		r := EvalReport{Node: e.Addr}
		json.Unmarshal(raw["samples"], &r.Samples)
		for _, k := range slices.Sorted(maps.Keys(raw)) {
			var v float64
			if json.Unmarshal(raw[k], &v) == nil {
				r.Scores = append(r.Scores, Figure{Node: e.Addr, Name: k, Value: v})
			}
		}
		out = append(out, r)
	}
	return out
}

// funnel summarises the dataprep nodes: rows going in and out of each, the
// rows dropped per cleaning rule and PII found per type, from the nodes'
// final figures.
func funnel(d *runstore.RunDetail) (steps []FunnelStep, drops, pii []Figure) {
	byNode := map[string]map[string]float64{}
	var order []string
	for _, m := range d.Metrics {
		if byNode[m.Addr] == nil {
			byNode[m.Addr] = map[string]float64{}
			order = append(order, m.Addr)
		}
		byNode[m.Addr][m.Name] = m.Last
		switch {
		case strings.HasPrefix(m.Name, "dropped.") && m.Last > 0:
			drops = append(drops, Figure{m.Addr, strings.TrimPrefix(m.Name, "dropped."), m.Last})
		case strings.HasPrefix(m.Name, "found_") && m.Last > 0:
			pii = append(pii, Figure{m.Addr, strings.TrimPrefix(m.Name, "found_"), m.Last})
		}
	}
	for _, addr := range order {
		if s, ok := funnelStep(addr, byNode[addr]); ok {
			steps = append(steps, s)
		}
	}
	return steps, drops, pii
}

// FunnelStep is one dataprep node's rows in and out.
type FunnelStep struct {
	Node    string
	In, Out float64
	Note    string
}

// funnelStep reads a node's rows in and out from the figures each dataprep
// node type reports.
func funnelStep(addr string, m map[string]float64) (FunnelStep, bool) {
	kind, _, _ := strings.Cut(addr, ".")
	s := FunnelStep{Node: addr}
	switch kind {
	case "dataset":
		s.Out, s.Note = m["rows"], "rows read"
		return s, true
	case "clean":
		s.In, s.Out, s.Note = m["docs_in"], m["docs_kept"], "dropped by the cleaning rules"
	case "dedup":
		s.In, s.Out, s.Note = m["docs"], m["kept"], "duplicates removed"
	case "pii":
		s.In, s.Out, s.Note = m["docs"], m["docs"], "documents changed: "+formatNum(m["docs_changed"])
	case "tokenize":
		s.In, s.Out, s.Note = m["docs"], m["train_docs"]+m["val_docs"], "tokens: "+formatNum(m["tokens"])
	default:
		return s, false
	}
	return s, true
}
