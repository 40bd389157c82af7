package pipeline

import (
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Executor types.
const (
	// ExecutorLocal runs nodes in the host process (the default).
	ExecutorLocal = "local"
	// ExecutorSlurm runs each node as a Slurm batch job against the store
	// on a filesystem the host and the cluster share.
	ExecutorSlurm = "slurm"
)

// Executor is an executor block: where the nodes that use it run. Its
// settings are literals, so where a node runs never changes its cache key.
type Executor struct {
	Name    string
	Type    string // ExecutorSlurm or ExecutorLocal
	Default bool   // used by nodes that name no executor
	Slurm   SlurmSettings
	// DeclRange is the block's header.
	DeclRange hcl.Range
}

// SlurmSettings are the sbatch options of a Slurm executor; empty values
// leave the cluster's defaults.
type SlurmSettings struct {
	Partition   string
	Account     string
	QOS         string
	TimeLimit   time.Duration // 0: the partition's limit
	CPUsPerTask int
	Mem         string   // per node, in sbatch's --mem syntax ("4G")
	ExtraArgs   []string // passed to sbatch as they are
}

var executorSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "type"}, {Name: "default"}, {Name: "partition"}, {Name: "account"}, {Name: "qos"},
	{Name: "time_limit"}, {Name: "cpus_per_task"}, {Name: "mem"}, {Name: "extra_args"},
}}

// memRE is sbatch's --mem syntax: a whole number with an optional unit.
var memRE = regexp.MustCompile(`^[0-9]+[KMGT]?$`)

func decodeExecutor(block *hcl.Block) (*Executor, hcl.Diagnostics) {
	e := &Executor{Name: block.Labels[0], Type: ExecutorSlurm, DeclRange: block.DefRange}
	diags := checkName("executor", e.Name, block.LabelRanges[0])
	content, d := block.Body.Content(executorSchema)
	diags = append(diags, d...)
	attr := func(name string, ty cty.Type, set func(a *hcl.Attribute, v cty.Value)) {
		if a, ok := content.Attributes[name]; ok {
			diags = append(diags, decodeLiteral(a, ty, func(v cty.Value) { set(a, v) })...)
		}
	}
	str := func(name string, dst *string) {
		attr(name, cty.String, func(_ *hcl.Attribute, v cty.Value) { *dst = v.AsString() })
	}
	attr("type", cty.String, func(a *hcl.Attribute, v cty.Value) {
		e.Type = v.AsString()
		if e.Type != ExecutorSlurm && e.Type != ExecutorLocal {
			diags = append(diags, attrError(a, "Invalid executor type",
				fmt.Sprintf("type must be %q or %q.", ExecutorSlurm, ExecutorLocal)))
		}
	})
	attr("default", cty.Bool, func(_ *hcl.Attribute, v cty.Value) { e.Default = v.True() })
	str("partition", &e.Slurm.Partition)
	str("account", &e.Slurm.Account)
	str("qos", &e.Slurm.QOS)
	attr("time_limit", cty.String, func(a *hcl.Attribute, v cty.Value) {
		d, err := time.ParseDuration(v.AsString())
		if err != nil || d <= 0 {
			diags = append(diags, attrError(a, "Invalid time_limit", "time_limit must be a positive duration such as \"90m\" or \"2h\"."))
			return
		}
		e.Slurm.TimeLimit = d
	})
	attr("cpus_per_task", cty.Number, func(a *hcl.Attribute, v cty.Value) {
		n, acc := v.AsBigFloat().Int64()
		if acc != 0 || n < 1 || n > 4096 {
			diags = append(diags, attrError(a, "Invalid cpus_per_task", "cpus_per_task must be a whole number from 1 to 4096."))
			return
		}
		e.Slurm.CPUsPerTask = int(n)
	})
	attr("mem", cty.String, func(a *hcl.Attribute, v cty.Value) {
		if !memRE.MatchString(v.AsString()) {
			diags = append(diags, attrError(a, "Invalid mem", "mem must be a whole number with an optional unit K, M, G or T, such as \"4G\", as sbatch --mem takes it."))
			return
		}
		e.Slurm.Mem = v.AsString()
	})
	attr("extra_args", cty.List(cty.String), func(_ *hcl.Attribute, v cty.Value) {
		for _, s := range v.AsValueSlice() {
			e.Slurm.ExtraArgs = append(e.Slurm.ExtraArgs, s.AsString())
		}
	})
	return e, diags
}

func (c *Config) addExecutor(e *Executor) hcl.Diagnostics {
	if e == nil {
		return nil
	}
	if prev, ok := c.Executors[e.Name]; ok {
		return hcl.Diagnostics{duplicate("executor", e.Name, prev.DeclRange, e.DeclRange)}
	}
	if e.Default {
		for _, name := range sortedKeys(c.Executors) {
			if prev := c.Executors[name]; prev.Default {
				return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Two default executors",
					Detail:  fmt.Sprintf("Executor %q is already the default (%s); set default = true on one executor only.", prev.Name, prev.DeclRange),
					Subject: e.DeclRange.Ptr()}}
			}
		}
	}
	c.Executors[e.Name] = e
	return nil
}

// decodeExecutorRef reads a node's executor meta-argument, executor.NAME.
func (n *Node) decodeExecutorRef(a *hcl.Attribute) hcl.Diagnostics {
	trav, diags := hcl.AbsTraversalForExpr(a.Expr)
	if !diags.HasErrors() && len(trav) == 2 && trav.RootName() == "executor" {
		if step, ok := trav[1].(hcl.TraverseAttr); ok {
			n.Meta.Executor, n.Meta.ExecutorRange = step.Name, a.Expr.Range()
			return nil
		}
	}
	return hcl.Diagnostics{attrError(a, "Invalid executor reference",
		"executor takes a reference to an executor block, such as executor.big.")}
}

// checkExecutorRef reports a node naming an executor that is not declared.
func (c *Config) checkExecutorRef(n *Node) hcl.Diagnostics {
	if n.Meta.Executor == "" || c.Executors[n.Meta.Executor] != nil {
		return nil
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Reference to undeclared executor",
		Detail: fmt.Sprintf("No executor %q is declared.%s Declare it with an executor block.",
			n.Meta.Executor, didYouMean(n.Meta.Executor, sortedKeys(c.Executors))),
		Subject: n.Meta.ExecutorRange.Ptr()}}
}

// ExecutorFor returns the executor node addr runs on. override is
// `llmflow run --executor`: "" keeps the pipeline's choice, "local" runs
// everything in the host, "slurm" makes Slurm the default for nodes that
// name no executor, and an executor block's name makes that block the
// default. A nil result means the host process.
func (c *Config) ExecutorFor(addr, override string) *Executor {
	if override == ExecutorLocal {
		return nil
	}
	if n := c.Nodes[addr]; n != nil && n.Meta.Executor != "" {
		return localAsNil(c.Executors[n.Meta.Executor])
	}
	if e := c.Executors[override]; e != nil {
		return localAsNil(e)
	}
	var def *Executor
	for _, name := range sortedKeys(c.Executors) {
		if e := c.Executors[name]; e.Default {
			def = e
		}
	}
	if override == ExecutorSlurm && (def == nil || def.Type != ExecutorSlurm) {
		return &Executor{Name: ExecutorSlurm, Type: ExecutorSlurm}
	}
	return localAsNil(def)
}

func localAsNil(e *Executor) *Executor {
	if e == nil || e.Type == ExecutorLocal {
		return nil
	}
	return e
}

// CheckExecutorOverride validates `llmflow run --executor`.
func (c *Config) CheckExecutorOverride(override string) error {
	if override == "" || override == ExecutorLocal || override == ExecutorSlurm || c.Executors[override] != nil {
		return nil
	}
	return fmt.Errorf("--executor %q: expected local, slurm or the name of an executor block%s",
		override, didYouMean(override, sortedKeys(c.Executors)))
}
