package pipeline

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// parseRef reads a node reference: TYPE.NAME or TYPE.NAME.OUTPUT. Whether
// the node exists is checked later, once every block is known.
func parseRef(expr hcl.Expression) (*Ref, hcl.Diagnostics) {
	trav, diags := hcl.AbsTraversalForExpr(expr)
	invalid := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid reference",
		Detail:   "A reference to a node is expected here, such as dataset.web or stage.base.model.",
		Subject:  expr.Range().Ptr(),
	}
	if diags.HasErrors() || len(trav) < 2 || len(trav) > 3 {
		return nil, hcl.Diagnostics{invalid}
	}
	parts := []string{trav.RootName()}
	for _, step := range trav[1:] {
		attr, ok := step.(hcl.TraverseAttr)
		if !ok {
			return nil, hcl.Diagnostics{invalid}
		}
		parts = append(parts, attr.Name)
	}
	ref := &Ref{Addr: parts[0] + "." + parts[1], Range: expr.Range()}
	if len(parts) == 3 {
		ref.Output = parts[2]
	}
	return ref, nil
}

func parseRefList(expr hcl.Expression) ([]*Ref, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(expr)
	var refs []*Ref
	for _, e := range exprs {
		r, d := parseRef(e)
		diags = append(diags, d...)
		if r != nil {
			refs = append(refs, r)
		}
	}
	return refs, diags
}

// String renders the reference as written.
func (r *Ref) String() string {
	if r.Output == "" {
		return r.Addr
	}
	return r.Addr + "." + r.Output
}

// checkRef reports a reference to a node that does not exist or an output
// the node type does not have.
func (c *Config) checkRef(r *Ref) hcl.Diagnostics {
	n, ok := c.Nodes[r.Addr]
	if !ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Reference to undeclared node",
			Detail:   fmt.Sprintf("There is no node %q in this pipeline.%s", r.Addr, didYouMean(r.Addr, c.NodeAddrs())),
			Subject:  r.Range.Ptr(),
		}}
	}
	if r.Output == "" || n.Type == "stage" {
		return nil // stage outputs come from the plugin, checked at plan time
	}
	bt, _ := LookupBlockType(n.Type)
	if bt != nil && !bt.output(r.Output) {
		var names []string
		for _, p := range bt.Outputs {
			names = append(names, p.Name)
		}
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown node output",
			Detail:   fmt.Sprintf("A %s node has no output %q.%s", n.Type, r.Output, didYouMean(r.Output, names)),
			Subject:  r.Range.Ptr(),
		}}
	}
	return nil
}
