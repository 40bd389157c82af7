package pipeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
)

// metaAttrs are the meta-arguments every node block accepts.
var metaAttrs = []hcl.AttributeSchema{
	{Name: "seed"}, {Name: "retries"}, {Name: "timeout"}, {Name: "on_failure"}, {Name: "depends_on"}, {Name: "executor"}, {Name: "shards"},
}

func isMetaAttr(name string) bool {
	for _, a := range metaAttrs {
		if a.Name == name {
			return true
		}
	}
	return false
}

// decodeBuiltinNode decodes a registered block type: its meta-arguments and
// input references now, and a static schema check of the rest, which is
// decoded into the type's configuration struct at bind time.
func decodeBuiltinNode(bt *BlockType, block *hcl.Block) (*Node, hcl.Diagnostics) {
	n := newNode(bt.Name, bt.Name, block.Labels[0], block.DefRange)
	diags := checkName(bt.Name, n.Name, block.LabelRanges[0])
	schema := &hcl.BodySchema{Attributes: append([]hcl.AttributeSchema(nil), metaAttrs...)}
	for _, in := range bt.Inputs {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: in.Name, Required: in.Required})
	}
	content, remain, d := block.Body.PartialContent(schema)
	diags = append(diags, d...)
	diags = append(diags, n.decodeMeta(content.Attributes)...)
	for _, in := range bt.Inputs {
		if a, ok := content.Attributes[in.Name]; ok {
			diags = append(diags, n.decodeInput(bt, in, a)...)
		}
	}
	if a, ok := content.Attributes["shards"]; ok && n.Meta.Shards > 1 && bt.RunShard == nil {
		diags = append(diags, attrError(a, "Node type does not shard",
			fmt.Sprintf("A %s node runs whole; shards is supported by %s.", bt.Name, strings.Join(shardedTypes(), ", "))))
	}
	n.Body = remain
	cfgSchema, _ := gohcl.ImpliedBodySchema(bt.NewConfig())
	_, d = remain.Content(cfgSchema)
	n.staticOK = !d.HasErrors()
	return n, append(diags, d...)
}

// decodeInput reads the reference, or for a list input the references, of
// one input attribute.
func (n *Node) decodeInput(bt *BlockType, in Port, a *hcl.Attribute) hcl.Diagnostics {
	_, isList := a.Expr.(*hclsyntax.TupleConsExpr)
	switch {
	case in.List && !isList:
		return hcl.Diagnostics{attrError(a, "List of references expected",
			fmt.Sprintf("Input %q of a %s node takes a list of node references, such as [dataset.a, clean.b].", in.Name, bt.Name))}
	case !in.List && isList:
		detail := fmt.Sprintf("Input %q of a %s node takes one node reference, not a list.", in.Name, bt.Name)
		if in.Kind == artifact.KindText {
			detail += fmt.Sprintf(" To combine several text datasets, mix them first: mix \"all\" { inputs = [dataset.a, dataset.b] }, then set %s = mix.all.", in.Name)
		}
		return hcl.Diagnostics{attrError(a, "List of references not accepted", detail)}
	case !in.List:
		ref, diags := parseRef(a.Expr)
		if ref != nil {
			n.Inputs[in.Name] = ref
		}
		return diags
	}
	refs, diags := parseRefList(a.Expr)
	if len(refs) == 0 && !diags.HasErrors() {
		diags = append(diags, attrError(a, "Empty list of references", fmt.Sprintf("Input %q needs at least one node reference.", in.Name)))
	}
	seen := map[string]bool{}
	for _, r := range refs {
		if seen[r.String()] {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate reference",
				Detail:  fmt.Sprintf("%s is listed twice in %s; list each input once and use weights to favour one.", r, in.Name),
				Subject: r.Range.Ptr()})
			continue
		}
		n.Inputs[listInput(in.Name, len(seen))] = r
		seen[r.String()] = true
	}
	return diags
}

var stageSchema = &hcl.BodySchema{
	Attributes: metaAttrs,
	Blocks:     []hcl.BlockHeaderSchema{{Type: "config"}},
}

// decodeStage decodes a stage block. Its plugin defines which inputs it
// takes, so every other top-level attribute is read as an input reference
// here and checked against the plugin's description at plan time.
func decodeStage(block *hcl.Block) (*Node, hcl.Diagnostics) {
	n := newNode("stage", block.Labels[0], block.Labels[1], block.DefRange)
	diags := checkName("stage kind", n.Kind, block.LabelRanges[0])
	diags = append(diags, checkName("stage", n.Name, block.LabelRanges[1])...)
	content, remain, d := block.Body.PartialContent(stageSchema)
	diags = append(diags, d...)
	diags = append(diags, n.decodeMeta(content.Attributes)...)
	if a, ok := content.Attributes["shards"]; ok {
		diags = append(diags, attrError(a, "Stages do not shard",
			fmt.Sprintf("shards splits dataprep nodes (%s) into tasks; a stage runs as one process.", strings.Join(shardedTypes(), ", "))))
	}
	attrs, d := stageInputAttrs(block.Body, remain)
	diags = append(diags, d...)
	for _, name := range sortedKeys(attrs) {
		ref, d := parseRef(attrs[name].Expr)
		diags = append(diags, d...)
		if ref != nil {
			n.Inputs[name] = ref
		}
	}
	n.Body = hcl.EmptyBody()
	for i, b := range content.Blocks {
		if i > 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Duplicate config block",
				Detail: "A stage takes at most one config block; merge them.", Subject: b.DefRange.Ptr(),
			})
			continue
		}
		n.Body = b.Body
	}
	n.staticOK = true
	return n, diags
}

func newNode(typ, kind, name string, rng hcl.Range) *Node {
	return &Node{
		Addr: typ + "." + name, Type: typ, Kind: kind, Name: name,
		Inputs: map[string]*Ref{}, DeclRange: rng,
		Meta: NodeMeta{OnFailure: OnFailureContinue},
	}
}

// decodeMeta reads the meta-arguments. All but seed must be literals so the
// engine's retry and failure behaviour does not depend on variable values.
func (n *Node) decodeMeta(attrs hcl.Attributes) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if a, ok := attrs["seed"]; ok {
		n.Meta.Seed = a.Expr
	}
	if a, ok := attrs["retries"]; ok {
		diags = append(diags, decodeLiteral(a, cty.Number, func(v cty.Value) {
			r, _ := v.AsBigFloat().Int64()
			if r < 0 || r > 100 || !v.AsBigFloat().IsInt() {
				diags = append(diags, attrError(a, "Invalid retries", "retries must be a whole number from 0 to 100."))
				return
			}
			n.Meta.Retries = int(r)
		})...)
	}
	if a, ok := attrs["timeout"]; ok {
		diags = append(diags, decodeLiteral(a, cty.String, func(v cty.Value) {
			d, err := time.ParseDuration(v.AsString())
			if err != nil || d <= 0 {
				diags = append(diags, attrError(a, "Invalid timeout", "timeout must be a positive duration such as \"90s\" or \"2h\"."))
				return
			}
			n.Meta.Timeout = d
		})...)
	}
	if a, ok := attrs["on_failure"]; ok {
		diags = append(diags, decodeLiteral(a, cty.String, func(v cty.Value) {
			if s := v.AsString(); s != OnFailureContinue && s != OnFailureAbort {
				diags = append(diags, attrError(a, "Invalid on_failure", fmt.Sprintf("on_failure must be %q or %q.", OnFailureContinue, OnFailureAbort)))
				return
			}
			n.Meta.OnFailure = v.AsString()
		})...)
	}
	if a, ok := attrs["shards"]; ok {
		diags = append(diags, decodeLiteral(a, cty.Number, func(v cty.Value) {
			s, acc := v.AsBigFloat().Int64()
			if acc != 0 || s < 1 || s > 10000 {
				diags = append(diags, attrError(a, "Invalid shards", "shards must be a whole number from 1 to 10000."))
				return
			}
			n.Meta.Shards = int(s)
		})...)
	}
	if a, ok := attrs["executor"]; ok {
		diags = append(diags, n.decodeExecutorRef(a)...)
	}
	if a, ok := attrs["depends_on"]; ok {
		refs, d := parseRefList(a.Expr)
		diags = append(diags, d...)
		n.DependsOn = refs
	}
	return diags
}

func attrError(a *hcl.Attribute, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: a.Expr.Range().Ptr()}
}

// stageInputAttrs returns a stage's attributes other than meta-arguments.
// hclsyntax's JustAttributes on a partial body still sees the config block,
// so the native syntax body is read directly.
func stageInputAttrs(body, remain hcl.Body) (hcl.Attributes, hcl.Diagnostics) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return remain.JustAttributes()
	}
	var diags hcl.Diagnostics
	attrs := hcl.Attributes{}
	for name, a := range sb.Attributes {
		if !isMetaAttr(name) {
			attrs[name] = a.AsHCLAttribute()
		}
	}
	for _, b := range sb.Blocks {
		if b.Type != "config" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported block type",
				Detail:  fmt.Sprintf("A stage takes only a config block, not %q.", b.Type),
				Subject: b.TypeRange.Ptr()})
		}
	}
	return attrs, diags
}
