package pipeline

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "condition", Required: true}, {Name: "error_message", Required: true},
}}

func decodeVariable(block *hcl.Block) (*Variable, hcl.Diagnostics) {
	v := &Variable{Name: block.Labels[0], Type: cty.DynamicPseudoType, DeclRange: block.DefRange}
	diags := checkName("variable", v.Name, block.LabelRanges[0])
	content, d := block.Body.Content(variableSchema)
	diags = append(diags, d...)
	if a, ok := content.Attributes["type"]; ok {
		ty, d := typeexpr.TypeConstraint(a.Expr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			v.Type = ty
		}
	}
	if a, ok := content.Attributes["description"]; ok {
		diags = append(diags, decodeLiteral(a, cty.String, func(val cty.Value) { v.Description = val.AsString() })...)
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		diags = append(diags, decodeLiteral(a, cty.Bool, func(val cty.Value) { v.Sensitive = val.True() })...)
	}
	if a, ok := content.Attributes["default"]; ok {
		v.DefaultRange = a.Expr.Range()
		diags = append(diags, decodeLiteral(a, v.Type, func(val cty.Value) { v.Default = val })...)
	}
	for _, b := range content.Blocks {
		val, d := decodeValidation(b)
		diags = append(diags, d...)
		if val != nil {
			v.Validations = append(v.Validations, val)
		}
	}
	return v, diags
}

func decodeValidation(block *hcl.Block) (*Validation, hcl.Diagnostics) {
	content, diags := block.Body.Content(validationSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	val := &Validation{Condition: content.Attributes["condition"].Expr, DeclRange: block.DefRange}
	diags = append(diags, decodeLiteral(content.Attributes["error_message"], cty.String,
		func(m cty.Value) { val.ErrorMessage = m.AsString() })...)
	return val, diags
}

// decodeLiteral evaluates an attribute that may not reference anything,
// converts it to ty and hands the value to set when it is known and not null.
func decodeLiteral(a *hcl.Attribute, ty cty.Type, set func(cty.Value)) hcl.Diagnostics {
	val, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	conv, err := convert.Convert(val, ty)
	if err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail:   fmt.Sprintf("Inappropriate value for attribute %q: %s.", a.Name, err),
			Subject:  a.Expr.Range().Ptr(),
		}}
	}
	if conv.IsKnown() && !conv.IsNull() {
		set(conv)
	}
	return nil
}

// checkName rejects names that cannot be used in references.
func checkName(what, name string, rng hcl.Range) hcl.Diagnostics {
	if hclsyntax.ValidIdentifier(name) {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid " + what + " name",
		Detail:   fmt.Sprintf("%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name),
		Subject:  rng.Ptr(),
	}}
}
