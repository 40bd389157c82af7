package pipeline

import (
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var pluginSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "source", Required: true}, {Name: "checksum"}, {Name: "version"},
}}

var checksumRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func decodePlugin(block *hcl.Block) (*Plugin, hcl.Diagnostics) {
	p := &Plugin{Name: block.Labels[0], DeclRange: block.DefRange}
	diags := checkName("plugin", p.Name, block.LabelRanges[0])
	content, d := block.Body.Content(pluginSchema)
	diags = append(diags, d...)
	str := func(name string, dst *string) {
		if a, ok := content.Attributes[name]; ok {
			diags = append(diags, decodeLiteral(a, cty.String, func(v cty.Value) { *dst = v.AsString() })...)
		}
	}
	str("source", &p.Source)
	str("checksum", &p.Checksum)
	str("version", &p.Version)
	if a, ok := content.Attributes["checksum"]; ok && p.Checksum != "" && !checksumRE.MatchString(p.Checksum) {
		diags = append(diags, attrError(a, "Invalid checksum", `checksum must be "sha256:" followed by 64 lowercase hex digits.`))
	}
	return p, diags
}

var outputSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "value", Required: true}, {Name: "description"},
}}

func decodeOutput(block *hcl.Block) (*Output, hcl.Diagnostics) {
	o := &Output{Name: block.Labels[0], DeclRange: block.DefRange}
	diags := checkName("output", o.Name, block.LabelRanges[0])
	content, d := block.Body.Content(outputSchema)
	diags = append(diags, d...)
	if a, ok := content.Attributes["value"]; ok {
		ref, d := parseRef(a.Expr)
		diags = append(diags, d...)
		o.Ref = ref
	}
	if a, ok := content.Attributes["description"]; ok {
		diags = append(diags, decodeLiteral(a, cty.String, func(v cty.Value) { o.Description = v.AsString() })...)
	}
	return o, diags
}
