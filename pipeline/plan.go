package pipeline

import (
	"context"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/llmflow/llmflow/artifact"
)

// Plan actions.
const (
	ActionCached  = "cached"
	ActionRun     = "run"
	ActionBlocked = "blocked"
)

// Reasons a node will run.
const (
	ReasonNew           = "new"
	ReasonConfigChanged = "config changed"
	ReasonInputChanged  = "input changed"
	ReasonPluginChanged = "plugin changed"
	ReasonNoCache       = "--no-cache"
	ReasonNotStored     = "outputs not in store"
)

// History tells what a node was last executed from, so the plan can say why
// it runs again. The run store implements it.
type History interface {
	LastParts(addr string) (KeyParts, bool)
}

// Planner computes plans. It only reads: the store and history are
// consulted, nothing is written.
type Planner struct {
	Store   *artifact.Store
	Runner  StageRunner // nil: pipelines with stages do not plan
	History History     // nil: every uncached node is "new"
	NoCache bool
	// Key keys the config digests of nodes whose configuration holds
	// sensitive values (the store's secret, artifact.Store.EnsureSecret);
	// nil: a random key, so such nodes match no stored result.
	Key []byte

	keyOnce   sync.Once
	ephemeral []byte

	// Executor is `llmflow run --executor`, for the executor each node's
	// line names (Config.ExecutorFor).
	Executor string

	skipSources bool // Check: source files are not hashed
}

// NodePlan is the decision for one node.
type NodePlan struct {
	Addr    string            `json:"node"`
	Kind    string            `json:"kind"`
	Action  string            `json:"action"`
	Reason  string            `json:"reason,omitempty"`
	Key     string            `json:"key,omitempty"` // empty while an input is not yet produced
	Outputs map[string]string `json:"outputs,omitempty"`
	Deps    []string          `json:"depends_on,omitempty"`
	// Changes name what differs from the node's last execution when it runs
	// because its plugin, config or an input changed.
	Changes []Change `json:"changes,omitempty"`
	// ResumeStep is the step a training stage resumes from, when an earlier
	// attempt was interrupted after saving.
	ResumeStep int `json:"resume_step,omitempty"`
	// Executor names the executor block a node that runs is submitted to;
	// empty for the host process.
	Executor string `json:"executor,omitempty"`
}

// Plan is the ordered list of node decisions for a bound pipeline.
type Plan struct {
	Bound *Bound
	Nodes []*NodePlan // topological order
	prep  map[string]*prepared
}

// Plan prepares every node and decides, in dependency order, whether it is
// cached, will run (and why) or is blocked.
func (pl *Planner) Plan(ctx context.Context, b *Bound) (*Plan, hcl.Diagnostics) {
	p, order, diags := pl.prepareAll(ctx, b)
	if diags.HasErrors() {
		return p, redactDiags(b.Secrets, diags)
	}
	for _, addr := range order {
		p.Nodes = append(p.Nodes, pl.decide(p, p.prep[addr]))
	}
	return p, redactDiags(b.Secrets, diags)
}

// Check runs the checks of Plan that need neither the store nor the source
// files: each stage's inputs and config against its plugin's description,
// and the artifact kinds along every edge. It reads nothing but what the
// Runner reads; validate uses it with a runner that describes built-in
// stages in-process and external ones not at all (ErrNotDescribed).
func (pl *Planner) Check(ctx context.Context, b *Bound) hcl.Diagnostics {
	c := &Planner{Store: pl.Store, Runner: pl.Runner, History: pl.History, NoCache: pl.NoCache,
		Key: pl.Key, skipSources: true}
	_, _, diags := c.prepareAll(ctx, b)
	return redactDiags(b.Secrets, diags)
}

// prepareAll prepares every node in dependency order and checks the edges.
func (pl *Planner) prepareAll(ctx context.Context, b *Bound) (*Plan, []string, hcl.Diagnostics) {
	p := &Plan{Bound: b, prep: map[string]*prepared{}}
	var diags hcl.Diagnostics
	order, err := b.Config.Graph.TopoOrder()
	if err != nil {
		return p, nil, append(diags, bugDiag("plan of a cyclic graph: %s", err))
	}
	for _, addr := range order {
		prep, d := pl.prepare(ctx, b, b.Nodes[addr])
		diags = append(diags, d...)
		p.prep[addr] = prep
	}
	return p, order, append(diags, p.checkEdges()...)
}

func (pl *Planner) decide(p *Plan, n *prepared) *NodePlan {
	np := &NodePlan{Addr: n.Addr, Kind: n.Kind, Action: ActionRun, Deps: p.Bound.Config.Graph.DependenciesOf(n.Addr)}
	if n.blocked != nil {
		np.Action, np.Reason = ActionBlocked, p.Bound.Secrets.String(n.blocked.Error())
		return np
	}
	if e := p.Bound.Config.ExecutorFor(n.Addr, pl.Executor); e != nil {
		np.Executor = e.Name
	}
	parts, missing := p.keyParts(n, func(dep string) (map[string]string, string) {
		d := p.node(dep)
		return d.Outputs, d.Action
	})
	if missing != "" {
		np.Reason = ReasonInputChanged
		if up := p.node(missing); up.Action == ActionBlocked {
			np.Action, np.Reason = ActionBlocked, "blocked by "+missing
		} else if pl.NoCache {
			np.Reason = ReasonNoCache
		} else if _, seen := pl.history(n.Addr); !seen {
			np.Reason = ReasonNew
		} else {
			np.Changes = []Change{pl.upstreamChange(n, missing)}
		}
		return np
	}
	np.Key = parts.Key()
	if out, ok := lookupCached(pl.Store, np.Key); ok && !pl.NoCache {
		np.Action, np.Outputs, np.Executor = ActionCached, out, ""
		return np
	}
	np.Reason = pl.reason(n.Addr, parts)
	switch np.Reason {
	case ReasonConfigChanged, ReasonInputChanged, ReasonPluginChanged:
		np.Changes = pl.changes(n, parts)
	}
	if !pl.NoCache {
		np.ResumeStep = pl.resumeStep(np.Key)
	}
	return np
}

func (pl *Planner) reason(addr string, parts KeyParts) string {
	if pl.NoCache {
		return ReasonNoCache
	}
	prev, ok := pl.history(addr)
	if !ok {
		return ReasonNew
	}
	if r := parts.Diff(prev); r != "" {
		return r
	}
	return ReasonNotStored
}

func (pl *Planner) history(addr string) (KeyParts, bool) {
	if pl.History == nil {
		return KeyParts{}, false
	}
	return pl.History.LastParts(addr)
}

func (p *Plan) node(addr string) *NodePlan {
	for _, n := range p.Nodes {
		if n.Addr == addr {
			return n
		}
	}
	return &NodePlan{Action: ActionBlocked}
}

// missingInput names the input of n that comes from the node at dep.
func missingInput(n *prepared, dep string) string {
	for _, name := range sortedKeys(n.Inputs) {
		if n.Inputs[name].Addr == dep {
			return name
		}
	}
	return dep
}

// keyParts completes a node's key parts with its upstream digests. outputs
// returns a dependency's output digests and plan action; missing names the
// first input not yet available.
func (p *Plan) keyParts(n *prepared, outputs func(dep string) (map[string]string, string)) (KeyParts, string) {
	parts := n.base
	parts.Inputs = map[string]string{}
	for k, v := range n.base.Inputs {
		parts.Inputs[k] = v
	}
	for _, name := range sortedKeys(n.Inputs) {
		ref := n.Inputs[name]
		out, action := outputs(ref.Addr)
		d := out[p.outputName(ref)]
		if action != ActionCached || d == "" {
			return parts, ref.Addr
		}
		parts.Inputs[name] = d
	}
	return parts, ""
}

// outputName resolves a reference's output, defaulting to the node's first.
func (p *Plan) outputName(r *Ref) string {
	if r.Output != "" {
		return r.Output
	}
	if up := p.prep[r.Addr]; up != nil {
		return up.defaultOutput()
	}
	return ""
}
