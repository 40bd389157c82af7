package pipeline

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// checkEdges runs once every node is prepared and its outputs are known:
// each reference must name an output its node has, and an input that
// declares a kind must get an artifact of that kind.
func (p *Plan) checkEdges() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, addr := range sortedKeys(p.prep) {
		n := p.prep[addr]
		for _, name := range sortedKeys(n.Inputs) {
			diags = append(diags, p.checkEdge(n, name, n.Inputs[name])...)
		}
	}
	outs := p.Bound.Config.Outputs
	for _, name := range sortedKeys(outs) {
		if o := outs[name]; o.Ref != nil {
			diags = append(diags, p.checkEdge(&prepared{BoundNode: &BoundNode{Node: &Node{Addr: "output." + name}}}, "", o.Ref)...)
		}
	}
	return diags
}

func (p *Plan) checkEdge(n *prepared, input string, ref *Ref) hcl.Diagnostics {
	up := p.prep[ref.Addr]
	if up == nil || (up.Type == "stage" && up.info == nil) {
		return nil // a stage whose plugin was not described has unknown outputs
	}
	out := p.outputName(ref)
	var got *Port
	var names []string
	for i, o := range up.outputs {
		names = append(names, o.Name)
		if o.Name == out {
			got = &up.outputs[i]
		}
	}
	if got == nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unknown node output",
			Detail:  fmt.Sprintf("%s has no output %q.%s", ref.Addr, out, didYouMean(out, names)),
			Subject: ref.Range.Ptr()}}
	}
	want := n.inputKind(input)
	if want != "" && got.Kind != "" && want != got.Kind {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Incompatible input",
			Detail:  fmt.Sprintf("Input %q of %s takes %s, but %s produces %s.", input, n.Addr, want, ref, got.Kind),
			Subject: ref.Range.Ptr()}}
	}
	return nil
}

// inputKind is the artifact kind an input declares, "" for any.
func (n *prepared) inputKind(name string) string {
	var ports []Port
	switch {
	case n.bt != nil:
		ports = n.bt.Inputs
	case n.info != nil:
		ports = n.info.Inputs
	}
	for _, p := range ports {
		if p.Name == portName(name) {
			return p.Kind
		}
	}
	return ""
}
