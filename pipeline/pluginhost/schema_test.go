package pluginhost

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/internal/echostage"
	"github.com/llmflow/llmflow/plugins/sdk"
)

func decodeConfig(t *testing.T, src string) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	d, _ := echostage.Stage{}.Describe(t.Context())
	d.Config = append(d.Config, sdk.Attribute{Name: "ratio", Type: cty.Number, Required: true})
	f, diags := hclsyntax.ParseConfig([]byte(src), "pipeline.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return hcldec.Decode(f.Body, ConfigSpec(d), nil)
}

func TestConfigSpec(t *testing.T) {
	v, diags := decodeConfig(t, "ratio = 0.1\nsteps = \"3\"\n")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := cty.ObjectVal(map[string]cty.Value{
		"message": cty.StringVal("hello"), "steps": cty.NumberIntVal(3), "step_ms": cty.NumberIntVal(10), "ratio": cty.NumberFloatVal(0.1),
	})
	if !v.RawEquals(want) {
		t.Errorf("decoded %#v, want %#v", v, want)
	}

	tests := []struct{ name, src, summary, at string }{
		{"misspelt attribute", "ratio = 1\nmesage = \"x\"\n", "Unsupported argument", "pipeline.hcl:2,1-7"},
		{"wrong type", "ratio = 1\nsteps = [1]\n", "Incorrect attribute value type", "pipeline.hcl:2,9-12"},
		{"missing required", "steps = 1\n", "Missing required argument", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := decodeConfig(t, tc.src)
			if len(diags) != 1 || diags[0].Summary != tc.summary {
				t.Fatalf("diags = %v, want one %q", diags, tc.summary)
			}
			if tc.at != "" && (diags[0].Subject == nil || diags[0].Subject.String() != tc.at) {
				t.Errorf("subject = %v, want %s", diags[0].Subject, tc.at)
			}
		})
	}
}

func TestDiagnosticsToHCL(t *testing.T) {
	attrRange := &hcl.Range{Filename: "p.hcl", Start: hcl.Pos{Line: 3, Column: 1}, End: hcl.Pos{Line: 3, Column: 5}}
	blockRange := &hcl.Range{Filename: "p.hcl", Start: hcl.Pos{Line: 1, Column: 1}, End: hcl.Pos{Line: 1, Column: 7}}
	ranges := func(attr string) *hcl.Range {
		if attr == "steps" {
			return attrRange
		}
		if attr == "" {
			return blockRange
		}
		return nil
	}
	got := DiagnosticsToHCL(sdk.Diagnostics{
		sdk.Errorf("steps", "Negative step count", "steps must be 0 or more."),
		{Severity: sdk.SeverityWarning, Summary: "Unused", Attribute: "other"},
	}, ranges)
	if len(got) != 2 || got[0].Subject != attrRange || got[1].Subject != blockRange || got[1].Severity != hcl.DiagWarning {
		t.Errorf("got %v", got)
	}
	if !strings.Contains(got.Error(), "Negative step count") {
		t.Error(got.Error())
	}
}
