package pipeline

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/llmflow/llmflow/internal/dag"
)

// resolve checks every reference now that all blocks are known and builds
// the node graph. It reports each problem and keeps going.
func (c *Config) resolve() hcl.Diagnostics {
	var diags hcl.Diagnostics
	c.Graph = dag.New()
	for _, addr := range c.NodeAddrs() {
		c.Graph.Add(addr)
	}
	for _, addr := range c.NodeAddrs() {
		diags = append(diags, c.resolveNode(c.Nodes[addr])...)
	}
	for _, name := range sortedKeys(c.Outputs) {
		if o := c.Outputs[name]; o.Ref != nil {
			diags = append(diags, c.checkRef(o.Ref)...)
		}
	}
	for _, name := range sortedKeys(c.Locals) {
		diags = append(diags, c.checkValueRefs(c.Locals[name].Expr, "")...)
	}
	for _, name := range sortedKeys(c.Variables) {
		for _, v := range c.Variables[name].Validations {
			diags = append(diags, c.checkValueRefs(v.Condition, name)...)
		}
	}
	diags = append(diags, c.localCycles()...)
	return append(diags, c.nodeCycles()...)
}

func (c *Config) resolveNode(n *Node) hcl.Diagnostics {
	var diags hcl.Diagnostics
	refs := append([]*Ref(nil), n.DependsOn...)
	for _, name := range sortedKeys(n.Inputs) {
		refs = append(refs, n.Inputs[name])
	}
	for _, r := range refs {
		d := c.checkRef(r)
		diags = append(diags, d...)
		if !d.HasErrors() {
			c.Graph.Connect(r.Addr, n.Addr)
		}
	}
	if n.Meta.Seed != nil {
		diags = append(diags, c.checkValueRefs(n.Meta.Seed, "")...)
	}
	diags = append(diags, c.checkExecutorRef(n)...)
	skip := func(string) bool { return false } // a stage's Body is its config block
	if bt, ok := LookupBlockType(n.Type); ok {
		// Input attributes hold references, even when they failed to parse.
		skip = func(name string) bool {
			_, port := bt.input(name)
			return port || isMetaAttr(name)
		}
	}
	for _, e := range bodyExprs(n.Body, skip) {
		diags = append(diags, c.checkValueRefs(e, "")...)
	}
	return diags
}

// bodyExprs lists the expressions of a body's attributes, nested blocks
// included, skipping top-level attributes for which skip is true.
func bodyExprs(body hcl.Body, skip func(string) bool) []hcl.Expression {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var out []hcl.Expression
	for _, name := range sortedKeys(sb.Attributes) {
		if !skip(name) {
			out = append(out, sb.Attributes[name].Expr)
		}
	}
	for _, b := range sb.Blocks {
		out = append(out, bodyExprs(b.Body, func(string) bool { return false })...)
	}
	return out
}

// checkValueRefs checks the references inside a value expression: var.X and
// local.X must be declared. self, when set, is the only variable a
// validation condition may use.
func (c *Config) checkValueRefs(expr hcl.Expression, self string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		diags = append(diags, c.checkValueRef(t, self)...)
	}
	return diags
}

func (c *Config) checkValueRef(t hcl.Traversal, self string) hcl.Diagnostics {
	root := t.RootName()
	rng := t.SourceRange()
	attr := ""
	if len(t) > 1 {
		if a, ok := t[1].(hcl.TraverseAttr); ok {
			attr = a.Name
		}
	}
	errorf := func(summary, format string, args ...any) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &rng}}
	}
	switch {
	case root == "var" && attr == "":
		return errorf("Invalid reference", "A variable reference needs a name, such as var.seed.")
	case root == "var" && self != "" && attr != self:
		return errorf("Invalid validation reference", "A validation condition may only refer to its own variable, var.%s.", self)
	case root == "var" && c.Variables[attr] == nil:
		return errorf("Reference to undeclared input variable", "No variable %q is declared.%s Declare it with a variable block.", attr, didYouMean(attr, sortedKeys(c.Variables)))
	case root == "var":
		return nil
	case root == "local" && attr == "":
		return errorf("Invalid reference", "A local value reference needs a name, such as local.prefix.")
	case root == "local" && c.Locals[attr] == nil:
		return errorf("Reference to undeclared local value", "No local value %q is declared.%s", attr, didYouMean(attr, sortedKeys(c.Locals)))
	case root == "local":
		return nil
	case root == "stage" || isBlockType(root):
		return errorf("Node reference in a value", "%s.%s refers to a node; node references are allowed only in input attributes and depends_on.", root, attr)
	}
	roots := append([]string{"var", "local", "stage"}, BlockTypes()...)
	return errorf("Unknown reference", "There is nothing named %q to refer to.%s", root, didYouMean(root, roots))
}

func isBlockType(name string) bool { _, ok := LookupBlockType(name); return ok }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
