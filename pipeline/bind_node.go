package pipeline

import (
	"encoding/json"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

func (b *Bound) bindNode(n *Node) (*BoundNode, hcl.Diagnostics) {
	bn := &BoundNode{Node: n, Params: map[string]string{}}
	diags := b.bindSeed(bn)
	if n.Type == "stage" || !n.staticOK {
		return bn, diags
	}
	bt, _ := LookupBlockType(n.Type)
	cfg := bt.NewConfig()
	d := gohcl.DecodeBody(n.Body, b.EvalContext(false), cfg)
	diags = append(diags, d...)
	if d.HasErrors() {
		return bn, diags
	}
	if bt.Validate != nil {
		if err := bt.Validate(cfg); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + n.Type + " configuration",
				Detail: err.Error(), Subject: n.DeclRange.Ptr()})
		}
	}
	if bt.Complete != nil && !diags.HasErrors() {
		diags = append(diags, bt.Complete(cfg, n)...)
	}
	canon, err := json.Marshal(cfg)
	if err != nil {
		diags = append(diags, bugDiag("config of %s does not encode as JSON: %s", n.Addr, err))
	}
	bn.Decoded, bn.Canonical = cfg, canon
	bn.Params, bn.Sensitive = b.params(n.Body)
	return bn, diags
}

func (b *Bound) bindSeed(bn *BoundNode) hcl.Diagnostics {
	if bn.Meta.Seed == nil {
		return nil
	}
	val, diags := bn.Meta.Seed.Value(b.EvalContext(false))
	if diags.HasErrors() {
		return diags
	}
	if err := gocty.FromCtyValue(val, &bn.Seed); err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid seed",
			Detail: "seed must be a whole number: " + err.Error() + ".", Subject: bn.Meta.Seed.Range().Ptr()}}
	}
	return nil
}

// params renders each configuration attribute for the run store, replacing
// values derived from sensitive variables, and adds those values to
// b.Secrets; sensitive reports whether there were any.
func (b *Bound) params(body hcl.Body) (params map[string]string, sensitive bool) {
	out := map[string]string{}
	attrs, _ := body.JustAttributes()
	ctx := b.EvalContext(true)
	for name, a := range attrs {
		if val, diags := a.Expr.Value(ctx); !diags.HasErrors() && addMarked(b.Secrets, val) {
			sensitive = true
		}
		out[name] = renderParam(a.Expr, ctx)
	}
	return out, sensitive
}

func renderParam(expr hcl.Expression, ctx *hcl.EvalContext) string {
	val, diags := expr.Value(ctx)
	if diags.HasErrors() || !val.IsWhollyKnown() {
		return "null"
	}
	if val.ContainsMarked() {
		return Redacted
	}
	js, err := ctyjson.Marshal(val, cty.DynamicPseudoType)
	if err != nil {
		return "null"
	}
	var wrapped struct{ Value json.RawMessage }
	if json.Unmarshal(js, &wrapped) != nil {
		return "null"
	}
	return string(wrapped.Value)
}

func staticExpr(v cty.Value) hcl.Expression { return hcl.StaticExpr(v, hcl.Range{}) }
