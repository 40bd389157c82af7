package pipeline

import (
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// EnvVarPrefix prefixes environment variables that set pipeline variables:
// LLMFLOW_VAR_seed=3 sets var.seed.
const EnvVarPrefix = "LLMFLOW_VAR_"

// VarInputs are the raw variable settings from the command line and the
// environment, in increasing precedence: Env, Files, Args.
type VarInputs struct {
	Env   []string // "KEY=value" entries, usually os.Environ()
	Files []string // -var-file paths
	Args  []string // -var "name=value" flags
}

// Values parses the settings into expressions per variable name; later
// sources override earlier ones. Values are evaluated against the declared
// types in Bind.
func (in VarInputs) Values(c *Config) (map[string]hcl.Expression, hcl.Diagnostics) {
	out := map[string]hcl.Expression{}
	var diags hcl.Diagnostics
	for _, kv := range in.Env {
		name, val, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(name, EnvVarPrefix) && c.Variables[name[len(EnvVarPrefix):]] != nil {
			// Undeclared LLMFLOW_VAR_ names are ignored: the environment is shared.
			name = name[len(EnvVarPrefix):]
			out[name] = rawExpr(c.Variables[name], val, "env "+EnvVarPrefix+name)
		}
	}
	for _, f := range in.Files {
		diags = append(diags, c.readVarFile(f, out)...)
	}
	for _, arg := range in.Args {
		name, val, ok := strings.Cut(arg, "=")
		if !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid -var option",
				Detail: fmt.Sprintf("%q must be given as -var name=value.", arg)})
			continue
		}
		if c.Variables[name] == nil {
			diags = append(diags, undeclaredVar(name, c, nil))
			continue
		}
		out[name] = rawExpr(c.Variables[name], val, "-var "+name)
	}
	return out, diags
}

// rawExpr turns a command-line string into an expression: strings stay as
// typed, any other type is parsed as HCL (so lists and numbers work).
func rawExpr(v *Variable, raw, origin string) hcl.Expression {
	rng := hcl.Range{Filename: "<" + origin + ">", Start: hcl.InitialPos, End: hcl.InitialPos}
	if v.Type == cty.String || v.Type == cty.DynamicPseudoType {
		return hcl.StaticExpr(cty.StringVal(raw), rng)
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), rng.Filename, hcl.InitialPos)
	if diags.HasErrors() {
		return hcl.StaticExpr(cty.StringVal(raw), rng) // conversion reports the type error
	}
	return expr
}

func (c *Config) readVarFile(path string, out map[string]hcl.Expression) hcl.Diagnostics {
	src, err := os.ReadFile(path)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read variables file",
			Detail: fmt.Sprintf("Reading %s failed: %s.", path, err)}}
	}
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return diags
	}
	attrs, d := file.Body.JustAttributes()
	diags = append(diags, d...)
	for _, name := range sortedKeys(attrs) {
		if c.Variables[name] == nil {
			diags = append(diags, undeclaredVar(name, c, attrs[name].NameRange.Ptr()))
			continue
		}
		out[name] = attrs[name].Expr
	}
	return diags
}

func undeclaredVar(name string, c *Config, subject *hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Value for undeclared variable",
		Detail:   fmt.Sprintf("The pipeline declares no variable %q.%s", name, didYouMean(name, sortedKeys(c.Variables))),
		Subject:  subject,
	}
}
