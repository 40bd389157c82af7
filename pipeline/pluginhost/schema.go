package pluginhost

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/plugins/sdk"
)

// ConfigSpec turns a stage's described config schema into an hcldec spec,
// so a pipeline decodes a stage's config block at plan time with hcldec.Decode:
// unknown attributes, wrong types and missing required attributes become
// diagnostics at their source range, and absent attributes take their
// defaults. The decoded value has type d.ConfigType().
func ConfigSpec(d *sdk.Description) hcldec.Spec {
	spec := hcldec.ObjectSpec{}
	for _, a := range d.Config {
		var s hcldec.Spec = &hcldec.AttrSpec{Name: a.Name, Type: a.Type, Required: a.Required}
		if !a.Required && a.Default != cty.NilVal && !a.Default.IsNull() {
			s = &hcldec.DefaultSpec{Primary: s, Default: &hcldec.LiteralSpec{Value: a.Default}}
		}
		spec[a.Name] = s
	}
	return spec
}

// DiagnosticsToHCL converts a plugin's Validate diagnostics to HCL
// diagnostics. rangeOf returns the source range of a config attribute, or
// of the whole config block for the empty name; it may return nil.
func DiagnosticsToHCL(ds sdk.Diagnostics, rangeOf func(attr string) *hcl.Range) hcl.Diagnostics {
	out := make(hcl.Diagnostics, 0, len(ds))
	for _, d := range ds {
		sev := hcl.DiagError
		if d.Severity == sdk.SeverityWarning {
			sev = hcl.DiagWarning
		}
		hd := &hcl.Diagnostic{Severity: sev, Summary: d.Summary, Detail: d.Detail}
		if rangeOf != nil {
			hd.Subject = rangeOf(d.Attribute)
			if hd.Subject == nil && d.Attribute != "" {
				hd.Subject = rangeOf("")
			}
		}
		out = append(out, hd)
	}
	return out
}
