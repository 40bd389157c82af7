package sdk

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/llmflow/llmflow/plugins/sdk/proto/stagev1"
)

// descriptionToProto converts d for the wire.
func descriptionToProto(d *Description) (*stagev1.DescribeResponse, error) {
	resp := &stagev1.DescribeResponse{Name: d.Name, Version: d.Version, Doc: d.Doc}
	for _, a := range d.Config {
		if a.Type == cty.NilType {
			return nil, fmt.Errorf("config attribute %q has no type", a.Name)
		}
		tj, err := ctyjson.MarshalType(a.Type)
		if err != nil {
			return nil, fmt.Errorf("config attribute %q: %w", a.Name, err)
		}
		def, err := EncodeValue(a.Default)
		if err != nil {
			return nil, fmt.Errorf("config attribute %q default: %w", a.Name, err)
		}
		resp.Config = append(resp.Config, &stagev1.Attribute{
			Name: a.Name, TypeJson: tj, Required: a.Required, Default: def, Doc: a.Doc, Sensitive: a.Sensitive,
		})
	}
	resp.Inputs = portsToProto(d.Inputs)
	resp.Outputs = portsToProto(d.Outputs)
	return resp, nil
}

// descriptionFromProto converts a wire description, checking what a
// misbehaving plugin could get wrong.
func descriptionFromProto(resp *stagev1.DescribeResponse) (*Description, error) {
	d := &Description{Name: resp.Name, Version: resp.Version, Doc: resp.Doc}
	seen := map[string]bool{}
	for _, a := range resp.Config {
		if a.Name == "" || seen[a.Name] {
			return nil, fmt.Errorf("config attribute name %q is empty or repeated", a.Name)
		}
		seen[a.Name] = true
		ty, err := DecodeType(a.TypeJson)
		if err != nil {
			return nil, fmt.Errorf("config attribute %q: %w", a.Name, err)
		}
		def, err := DecodeValue(a.Default)
		if err != nil {
			return nil, fmt.Errorf("config attribute %q default: %w", a.Name, err)
		}
		d.Config = append(d.Config, Attribute{
			Name: a.Name, Type: ty, Required: a.Required, Default: def, Doc: a.Doc, Sensitive: a.Sensitive,
		})
	}
	var err error
	if d.Inputs, err = portsFromProto("input", resp.Inputs); err != nil {
		return nil, err
	}
	if d.Outputs, err = portsFromProto("output", resp.Outputs); err != nil {
		return nil, err
	}
	return d, nil
}

func portsToProto(ps []Port) []*stagev1.Port {
	out := make([]*stagev1.Port, 0, len(ps))
	for _, p := range ps {
		out = append(out, &stagev1.Port{Name: p.Name, Kind: p.Kind, Optional: p.Optional, NonEmpty: p.NonEmpty, Doc: p.Doc})
	}
	return out
}

func portsFromProto(what string, ps []*stagev1.Port) ([]Port, error) {
	out := make([]Port, 0, len(ps))
	seen := map[string]bool{}
	for _, p := range ps {
		if p.Name == "" || seen[p.Name] {
			return nil, fmt.Errorf("%s name %q is empty or repeated", what, p.Name)
		}
		seen[p.Name] = true
		out = append(out, Port{Name: p.Name, Kind: p.Kind, Optional: p.Optional, NonEmpty: p.NonEmpty, Doc: p.Doc})
	}
	return out, nil
}

func diagnosticsToProto(ds Diagnostics) []*stagev1.Diagnostic {
	out := make([]*stagev1.Diagnostic, 0, len(ds))
	for _, d := range ds {
		sev := stagev1.Diagnostic_ERROR
		if d.Severity == SeverityWarning {
			sev = stagev1.Diagnostic_WARNING
		}
		out = append(out, &stagev1.Diagnostic{Severity: sev, Summary: d.Summary, Detail: d.Detail, Attribute: d.Attribute})
	}
	return out
}

func diagnosticsFromProto(ds []*stagev1.Diagnostic) Diagnostics {
	out := make(Diagnostics, 0, len(ds))
	for _, d := range ds {
		sev := SeverityError
		if d.Severity == stagev1.Diagnostic_WARNING {
			sev = SeverityWarning
		}
		out = append(out, Diagnostic{Severity: sev, Summary: d.Summary, Detail: d.Detail, Attribute: d.Attribute})
	}
	return out
}
