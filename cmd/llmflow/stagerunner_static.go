package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/pipeline"
	"github.com/llmflow/llmflow/pipeline/pluginhost"
	"github.com/llmflow/llmflow/plugins/builtin"
	"github.com/llmflow/llmflow/plugins/sdk"
)

// staticRunner is the pipeline.StageRunner of validate: it starts no
// process and writes nothing. Built-in stages are described and validated
// in-process through their sdk.Stage; an external plugin's binary is only
// checked against its pin (plugin block or lock file), since describing it
// would mean running it.
type staticRunner struct {
	host *pluginhost.Host
	lock *pluginhost.Lock // read, never written
}

func newStaticRunner(pipelinePath string) (*staticRunner, error) {
	lock, diags := pluginhost.ReadLock(lockPathFor(pipelinePath))
	if diags.HasErrors() {
		return nil, diags
	}
	return &staticRunner{host: pluginhost.New(), lock: lock}, nil
}

// Describe implements pipeline.StageRunner.
func (r *staticRunner) Describe(ctx context.Context, p pipeline.StagePlugin) (*pipeline.StageInfo, error) {
	if p.Source != pluginhost.SourceBuiltin {
		spec := pluginhost.PluginSpec{Name: p.Kind, Source: p.Source, Checksum: p.Checksum}
		if _, err := r.host.Pin(r.lock, &spec); err != nil {
			return nil, err
		}
		if err := r.host.Verify(spec); err != nil {
			return nil, err
		}
		return nil, pipeline.ErrNotDescribed
	}
	s, err := builtinStage(p.Kind)
	if err != nil {
		return nil, err
	}
	d, err := s.Describe(ctx)
	if err != nil {
		return nil, fmt.Errorf("built-in stage %q does not describe itself: %w; this is a bug in llmflow", p.Kind, err)
	}
	return &pipeline.StageInfo{
		Name: d.Name, Version: d.Version,
		ConfigSpec: pluginhost.ConfigSpec(d), Inputs: ports(d.Inputs), Outputs: ports(d.Outputs),
	}, nil
}

// Validate implements pipeline.StageRunner for built-in stages.
func (r *staticRunner) Validate(ctx context.Context, p pipeline.StagePlugin, cfg cty.Value) hcl.Diagnostics {
	s, err := builtinStage(p.Kind)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Plugin " + p.Kind + " failed", Detail: err.Error()}}
	}
	return pluginhost.DiagnosticsToHCL(s.Validate(ctx, cfg), nil)
}

// Run implements pipeline.StageRunner; validate never runs a stage.
func (r *staticRunner) Run(context.Context, *pipeline.StageRequest, pipeline.StageEvents) (map[string]pipeline.StageOutput, error) {
	return nil, fmt.Errorf("validate does not run stages; this is a bug in llmflow")
}

func builtinStage(kind string) (sdk.Stage, error) {
	s, ok := builtin.Lookup(kind)
	if !ok {
		return nil, fmt.Errorf("there is no built-in stage %q (built-in stages: %s); to use another implementation, "+
			"declare a plugin block with its source", kind, strings.Join(builtin.Names(), ", "))
	}
	return s, nil
}
