package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// prepared is a node ready to plan and run: its implementation resolved
// and every cache key part known except the upstream artifact digests.
type prepared struct {
	*BoundNode
	bt      *BlockType // nil for stages
	plugin  StagePlugin
	info    *StageInfo
	stage   cty.Value // stage config, unmarked
	outputs []Port
	base    KeyParts // Inputs holds source-file digests only
	blocked error    // a problem that stops the node from running, e.g. a missing file
}

// sharded reports whether the node runs as tasks and a merge.
func (p *prepared) sharded() bool {
	return p.bt != nil && p.bt.RunShard != nil && p.bt.Merge != nil && p.Meta.Shards > 1
}

// defaultOutput is the output a bare reference to the node means.
func (p *prepared) defaultOutput() string {
	if len(p.outputs) == 0 {
		return ""
	}
	return p.outputs[0].Name
}

func (pl *Planner) prepare(ctx context.Context, b *Bound, bn *BoundNode) (*prepared, hcl.Diagnostics) {
	p := &prepared{BoundNode: bn}
	p.base = KeyParts{Kind: bn.Kind, Seed: bn.Seed, Inputs: map[string]string{}}
	if bn.Type == "stage" {
		return p, pl.prepareStage(ctx, b, p)
	}
	p.bt, _ = LookupBlockType(bn.Type)
	p.outputs = p.bt.Outputs
	p.base.Plugin = "builtin:" + bn.Type + "@" + Version
	p.base.Config = pl.configDigest(bn.Canonical, bn.Sensitive)
	if p.bt.Sources != nil && bn.Decoded != nil && !pl.skipSources {
		paths, err := p.bt.Sources(bn.Decoded, b.Config.Dir)
		if err == nil {
			p.base.Inputs, err = sourceParts(pl.Store, paths)
		}
		if bn.Sensitive {
			p.base.Inputs = redactKeys(b.Secrets, p.base.Inputs)
		}
		if err != nil {
			p.blocked = fmt.Errorf("%s: %w", bn.Addr, err)
		}
	}
	return p, nil
}

func (pl *Planner) prepareStage(ctx context.Context, b *Bound, p *prepared) hcl.Diagnostics {
	p.plugin = b.Config.stagePlugin(p.Kind)
	subject := p.DeclRange.Ptr()
	if pl.Runner == nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Stage plugins unavailable",
			Detail: fmt.Sprintf("No plugin host is configured, so stage %q of kind %q cannot be planned.", p.Name, p.Kind), Subject: subject}}
	}
	info, err := pl.Runner.Describe(ctx, p.plugin)
	if errors.Is(err, ErrNotDescribed) {
		return nil
	}
	if err == nil && info == nil {
		err = fmt.Errorf("the plugin host returned no description; this is a bug in llmflow")
	}
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot load plugin " + p.Kind,
			Detail: err.Error(), Subject: subject}}
	}
	p.info, p.outputs = info, info.Outputs
	diags := checkStageInputs(p, info)
	if p.plugin.Version != "" && p.plugin.Version != info.Version {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Plugin version mismatch",
			Detail: fmt.Sprintf("The plugin block for %q asks for version %q, but the plugin reports %q.",
				p.Kind, p.plugin.Version, info.Version), Subject: subject})
	}
	val := cty.EmptyObjectVal
	if info.ConfigSpec != nil {
		var d hcl.Diagnostics
		val, d = hcldec.Decode(p.Body, info.ConfigSpec, b.EvalContext(false))
		diags = append(diags, d...)
		if d.HasErrors() {
			return diags
		}
	}
	// Secrets are known before the plugin sees the config, so whatever
	// it logs or answers while validating is redacted.
	p.Params, p.Sensitive = b.params(p.Body)
	p.Sensitive = b.addDeclaredSensitive(p.Params, val, info.Sensitive) || p.Sensitive
	for _, d := range pl.Runner.Validate(ctx, p.plugin, val) {
		if d.Subject == nil {
			d.Subject = subject
		}
		diags = append(diags, d)
	}
	canon, err := ctyjson.Marshal(val, val.Type())
	if err != nil {
		return append(diags, bugDiag("stage config of %s does not encode: %s", p.Addr, err))
	}
	p.stage, p.Canonical = val, canon
	p.base.Plugin = fmt.Sprintf("%s:%s@%s %s", p.plugin.Source, info.Name, info.Version, info.Checksum)
	p.base.Config = pl.configDigest(canon, p.Sensitive)
	return diags
}

// addDeclaredSensitive treats the config attributes a plugin declares
// sensitive like values of sensitive variables, even when written as
// literals: their values are secrets and their params are redacted. It
// reports whether any is set.
func (b *Bound) addDeclaredSensitive(params map[string]string, val cty.Value, names []string) bool {
	set := false
	for _, name := range names {
		if !val.Type().IsObjectType() || !val.Type().HasAttribute(name) {
			continue
		}
		if v := val.GetAttr(name); !v.IsNull() {
			b.Secrets.Add(secretStrings(v)...)
			params[name], set = Redacted, true
		}
	}
	return set
}

// checkStageInputs compares a stage's input attributes with the inputs its
// plugin declares.
func checkStageInputs(p *prepared, info *StageInfo) hcl.Diagnostics {
	var diags hcl.Diagnostics
	var names []string
	for _, in := range info.Inputs {
		names = append(names, in.Name)
		if _, ok := p.Inputs[in.Name]; !ok && in.Required {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing required input",
				Detail: fmt.Sprintf("Stage kind %q needs input %q.", p.Kind, in.Name), Subject: p.DeclRange.Ptr()})
		}
	}
	for _, name := range sortedKeys(p.Inputs) {
		if !slices.Contains(names, name) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported input",
				Detail:  fmt.Sprintf("Stage kind %q takes no input %q.%s", p.Kind, name, didYouMean(name, names)),
				Subject: p.Inputs[name].Range.Ptr()})
		}
	}
	return diags
}
