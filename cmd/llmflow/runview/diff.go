package runview

import (
	"encoding/json"
	"maps"
	"math"
	"slices"

	"github.com/llmflow/llmflow/pipeline/runstore"
)

// RunRef names a compared run.
type RunRef struct {
	ID       string `json:"id"`
	Pipeline string `json:"pipeline_file"`
	Status   string `json:"status"`
}

// Change is a value that differs between run A and run B; "" on a side
// where it is absent.
type Change struct {
	Name string `json:"name"`
	A    string `json:"a"`
	B    string `json:"b"`
}

// NodeDiff is what differs for one node address. Only is "a" or "b" for a
// node that ran in one of the runs alone.
type NodeDiff struct {
	Node    string   `json:"node"`
	Only    string   `json:"only,omitempty"`
	Status  *Change  `json:"status,omitempty"`
	Config  []Change `json:"config,omitempty"`
	Plugin  []Change `json:"plugin,omitempty"`
	Inputs  []Change `json:"inputs,omitempty"`
	Outputs []Change `json:"outputs,omitempty"`
}

// MetricPair is a node's final value of a metric in both runs (nil when a
// run has none or it is not finite).
type MetricPair struct {
	Node string   `json:"node"`
	Name string   `json:"name"`
	A    *float64 `json:"a"`
	B    *float64 `json:"b"`
}

// Diff compares two runs.
type Diff struct {
	A         RunRef       `json:"a"`
	B         RunRef       `json:"b"`
	Variables []Change     `json:"variables"`
	Nodes     []NodeDiff   `json:"nodes"`
	Metrics   []MetricPair `json:"metrics"`
}

// Same reports whether the runs differ in nothing but their final metrics.
func (d *Diff) Same() bool { return len(d.Variables) == 0 && len(d.Nodes) == 0 }

// Compare returns what differs between runs a and b: variables, and per
// node (latest attempt) its status, config attributes, plugin, input and
// output digests; and every final metric side by side.
func Compare(a, b *runstore.RunDetail) *Diff {
	d := &Diff{A: ref(a), B: ref(b), Variables: changes(variables(a), variables(b)), Nodes: []NodeDiff{}}
	na, nb := facts(a), facts(b)
	for _, addr := range nodeOrder(a, b) {
		x, inA := na[addr]
		y, inB := nb[addr]
		nd := NodeDiff{Node: addr}
		switch {
		case !inB:
			nd.Only = "a"
		case !inA:
			nd.Only = "b"
		default:
			if outcome(x.status) != outcome(y.status) {
				nd.Status = &Change{Name: "status", A: x.status, B: y.status}
			}
			nd.Config = changes(x.params, y.params)
			nd.Plugin = changes(x.plugin, y.plugin)
			nd.Inputs = changes(x.inputs, y.inputs)
			nd.Outputs = changes(x.outputs, y.outputs)
		}
		if nd.Only != "" || nd.Status != nil || len(nd.Config)+len(nd.Plugin)+len(nd.Inputs)+len(nd.Outputs) > 0 {
			d.Nodes = append(d.Nodes, nd)
		}
	}
	d.Metrics = metricPairs(a, b)
	return d
}

// outcome folds cached into succeeded: a node served from the cache has
// the outputs it would have computed.
func outcome(status string) string {
	if status == runstore.StatusCached {
		return runstore.StatusSucceeded
	}
	return status
}

func ref(r *runstore.RunDetail) RunRef {
	return RunRef{ID: r.ID, Pipeline: r.PipelineFile, Status: r.Status}
}

func variables(r *runstore.RunDetail) map[string]string {
	var raw map[string]json.RawMessage
	json.Unmarshal(r.Variables, &raw)
	out := map[string]string{}
	for k, v := range raw {
		out[k] = string(v)
	}
	return out
}

type nodeFacts struct {
	status                          string
	params, plugin, inputs, outputs map[string]string
}

// facts gathers, per node address, what its latest attempt recorded.
func facts(r *runstore.RunDetail) map[string]*nodeFacts {
	out := map[string]*nodeFacts{}
	byID := map[int64]*nodeFacts{}
	for _, n := range r.Nodes {
		f := &nodeFacts{status: n.Status, params: map[string]string{}, inputs: map[string]string{}, outputs: map[string]string{},
			plugin: map[string]string{}}
		if n.Plugin.Name != "" {
			f.plugin = map[string]string{"name": n.Plugin.Name, "version": n.Plugin.Version, "source": n.Plugin.Source, "sha256": n.Plugin.SHA256}
		}
		out[n.Addr] = f // nodes are in start order: the last attempt wins
		byID[n.ID] = f
	}
	for _, p := range r.Params {
		if f := byID[p.NodeID]; f != nil {
			f.params[p.Name] = p.Value
		}
	}
	for _, e := range r.Lineage {
		if f := byID[e.NodeID]; f != nil {
			if e.Role == runstore.RoleInput {
				f.inputs[e.Name] = e.Digest
			} else {
				f.outputs[e.Name] = e.Digest
			}
		}
	}
	return out
}

// nodeOrder lists the node addresses of a in start order, then those only b has.
func nodeOrder(a, b *runstore.RunDetail) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range []*runstore.RunDetail{a, b} {
		for _, n := range r.Nodes {
			if !seen[n.Addr] {
				seen[n.Addr] = true
				out = append(out, n.Addr)
			}
		}
	}
	return out
}

func changes(a, b map[string]string) []Change {
	keys := maps.Clone(a)
	maps.Copy(keys, b)
	var out []Change
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if a[k] != b[k] {
			out = append(out, Change{Name: k, A: a[k], B: b[k]})
		}
	}
	return out
}

func metricPairs(a, b *runstore.RunDetail) []MetricPair {
	type key struct{ node, name string }
	var order []key
	pairs := map[key]*MetricPair{}
	add := func(r *runstore.RunDetail, side func(*MetricPair) **float64) {
		for _, m := range r.Metrics {
			k := key{m.Addr, m.Name}
			p := pairs[k]
			if p == nil {
				p = &MetricPair{Node: m.Addr, Name: m.Name}
				pairs[k] = p
				order = append(order, k)
			}
			*side(p) = Finite(m.Last)
		}
	}
	add(a, func(p *MetricPair) **float64 { return &p.A })
	add(b, func(p *MetricPair) **float64 { return &p.B })
	out := make([]MetricPair, len(order))
	for i, k := range order {
		out[i] = *pairs[k]
	}
	return out
}

// Finite returns nil for NaN and ±Inf, which JSON cannot hold.
func Finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
