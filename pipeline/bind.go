package pipeline

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/llmflow/llmflow/internal/redact"
)

// Bound is a pipeline with its variables, locals and node configurations
// evaluated. Stage configurations are decoded later, against the plugin's
// schema, by the Planner.
type Bound struct {
	Config *Config
	Vars   map[string]cty.Value // sensitive values carry the sensitive mark
	Locals map[string]cty.Value
	Nodes  map[string]*BoundNode
	// Secrets holds the values of sensitive variables and of node
	// configuration derived from them; Bind, Plan and the engine replace
	// them in every diagnostic, log line and error they report.
	Secrets *redact.Set
}

// BoundNode is a node with its evaluated configuration.
type BoundNode struct {
	*Node
	Decoded   any               // built-in types: pointer to the decoded config struct
	Canonical []byte            // canonical JSON of the configuration, part of the cache key
	Params    map[string]string // attribute -> JSON value, sensitive ones redacted
	Seed      int64
	Sensitive bool // the configuration holds a value derived from a sensitive variable
}

// Redacted replaces sensitive values wherever they would be shown or stored.
const Redacted = redact.Placeholder

// Bind evaluates the pipeline with the given variable expressions (from
// VarInputs.Values; defaults fill the rest). It reports every problem.
func (c *Config) Bind(inputs map[string]hcl.Expression) (*Bound, hcl.Diagnostics) {
	b := &Bound{Config: c, Vars: map[string]cty.Value{}, Locals: map[string]cty.Value{}, Nodes: map[string]*BoundNode{},
		Secrets: &redact.Set{}}
	var diags hcl.Diagnostics
	for _, name := range sortedKeys(c.Variables) {
		diags = append(diags, b.bindVariable(c.Variables[name], inputs[name])...)
	}
	if diags.HasErrors() {
		return b, redactDiags(b.Secrets, diags) // everything below would repeat the same problem
	}
	diags = append(diags, b.bindLocals()...)
	for _, addr := range c.NodeAddrs() {
		bn, d := b.bindNode(c.Nodes[addr])
		diags = append(diags, d...)
		b.Nodes[addr] = bn
	}
	return b, redactDiags(b.Secrets, diags)
}

func (b *Bound) bindVariable(v *Variable, expr hcl.Expression) hcl.Diagnostics {
	val := v.Default
	if expr != nil {
		got, diags := expr.Value(nil)
		if diags.HasErrors() {
			return diags
		}
		val = got
	}
	if val == cty.NilVal || val.IsNull() {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Missing value for variable " + v.Name,
			Detail:  fmt.Sprintf("Variable %q has no default; set it with -var %s=VALUE, -var-file or %s%s.", v.Name, v.Name, EnvVarPrefix, v.Name),
			Subject: v.DeclRange.Ptr(),
		}}
	}
	conv, err := convert.Convert(val, v.Type)
	if err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid value for variable " + v.Name,
			Detail:  fmt.Sprintf("The value does not fit type %s: %s.", v.Type.FriendlyName(), err),
			Subject: v.DeclRange.Ptr(),
		}}
	}
	if v.Sensitive {
		conv = conv.Mark(sensitiveMark)
		b.Secrets.Add(secretStrings(conv)...)
	}
	b.Vars[v.Name] = conv
	return b.checkValidations(v)
}

func (b *Bound) checkValidations(v *Variable) hcl.Diagnostics {
	var diags hcl.Diagnostics
	ctx := evalContext(map[string]cty.Value{v.Name: b.Vars[v.Name]}, nil, false)
	for _, val := range v.Validations {
		ok, d := val.Condition.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		ok, _ = ok.Unmark()
		if ok.Type() != cty.Bool || !ok.IsKnown() || ok.IsNull() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid validation condition",
				Detail: "The condition must evaluate to true or false.", Subject: val.Condition.Range().Ptr()})
			continue
		}
		if ok.False() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable " + v.Name,
				Detail: val.ErrorMessage, Subject: val.Condition.Range().Ptr()})
		}
	}
	return diags
}

// bindLocals evaluates locals in dependency order; a cycle was already
// reported by Load, so its members are left unknown.
func (b *Bound) bindLocals() hcl.Diagnostics {
	order, err := b.Config.localGraph().TopoOrder()
	if err != nil {
		for name := range b.Config.Locals {
			b.Locals[name] = cty.DynamicVal
		}
		return nil
	}
	var diags hcl.Diagnostics
	for _, name := range order {
		val, d := b.Config.Locals[name].Expr.Value(evalContext(b.Vars, b.Locals, true))
		diags = append(diags, d...)
		b.Locals[name] = val
	}
	return diags
}

// EvalContext returns the context node configurations are evaluated in;
// marked keeps the sensitive marks.
func (b *Bound) EvalContext(marked bool) *hcl.EvalContext {
	return evalContext(b.Vars, b.Locals, marked)
}
