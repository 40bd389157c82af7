package pipeline

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/llmflow/llmflow/internal/dag"
)

// nodeCycles reports each dependency cycle between nodes once, against the
// block of the cycle's first node, naming every node in it.
func (c *Config) nodeCycles() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, cyc := range c.Graph.Cycles() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Dependency cycle",
			Detail:   fmt.Sprintf("These nodes depend on each other: %s. Remove one of the references.", dag.FormatCycle(cyc)),
			Subject:  c.Nodes[cyc[0]].DeclRange.Ptr(),
		})
	}
	return diags
}

// localGraph links each local value to the locals its expression uses.
func (c *Config) localGraph() *dag.Graph {
	g := dag.New()
	for name, l := range c.Locals {
		g.Add(name)
		for _, t := range l.Expr.Variables() {
			if t.RootName() != "local" || len(t) < 2 {
				continue
			}
			if a, ok := t[1].(hcl.TraverseAttr); ok && c.Locals[a.Name] != nil {
				g.Connect(a.Name, name)
			}
		}
	}
	return g
}

func (c *Config) localCycles() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, cyc := range c.localGraph().Cycles() {
		names := make([]string, len(cyc))
		for i, n := range cyc {
			names[i] = "local." + n
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Local value cycle",
			Detail:   fmt.Sprintf("These local values refer to each other: %s.", dag.FormatCycle(names)),
			Subject:  c.Locals[cyc[0]].Expr.Range().Ptr(),
		})
	}
	return diags
}
