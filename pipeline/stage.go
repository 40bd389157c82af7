package pipeline

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
)

// StagePlugin identifies the implementation of a stage kind, from its
// plugin block or, without one, the built-in of that name.
type StagePlugin struct {
	Kind     string
	Source   string // "builtin" or an executable path (absolute)
	Checksum string // "sha256:<hex>" expected for non-builtin sources
	Version  string
}

// StageInfo is what a plugin says about itself.
type StageInfo struct {
	Name    string
	Version string
	// Checksum is the sha256 of the executable that will run the stage; it is
	// part of every cache key, so a rebuilt plugin re-runs its stages.
	Checksum string
	// ConfigSpec decodes the stage's config block (hcldec), so unknown and
	// missing attributes and wrong types are reported with source ranges.
	ConfigSpec hcldec.Spec
	Inputs     []Port // the first output is the default a bare reference uses
	Outputs    []Port
	// Sensitive names the config attributes whose values the plugin
	// declares secret; they are redacted like sensitive variables.
	Sensitive []string
}

// StageRequest is one execution of a stage node.
type StageRequest struct {
	Node      string // node address, for messages
	Plugin    StagePlugin
	Config    cty.Value // decoded against StageInfo.ConfigSpec, sensitive marks removed
	Inputs    map[string]Input
	OutputDir string // the node's work directory: kept across attempts of the same cache key
	Seed      int64
}

// StageOutput is one artifact a stage produced, a directory under
// StageRequest.OutputDir.
type StageOutput struct {
	Path string
	Kind string
}

// StageEvents receives a running stage's reports; *NodeRun implements it.
type StageEvents interface {
	Progress(done, total int64, unit string)
	Metric(name string, step int64, value float64)
	Log(line string)
}

// StageRunner runs stage nodes; the plugin host implements it. Describe and
// Validate are called at plan time, Run when the node executes. All
// methods must be safe for concurrent use.
type StageRunner interface {
	Describe(ctx context.Context, p StagePlugin) (*StageInfo, error)
	Validate(ctx context.Context, p StagePlugin, config cty.Value) hcl.Diagnostics
	Run(ctx context.Context, req *StageRequest, ev StageEvents) (map[string]StageOutput, error)
}

// ErrNotDescribed is what a StageRunner's Describe returns (wrapped or not)
// when it checked what it could of the plugin but cannot say what the stage
// takes without starting it; the stage's config and edges go unchecked.
var ErrNotDescribed = errors.New("the plugin is not described without starting it")

// stagePlugin resolves the plugin for a stage kind: its plugin block, or the
// built-in implementation of that name.
func (c *Config) stagePlugin(kind string) StagePlugin {
	p, ok := c.Plugins[kind]
	if !ok || p.Source == "builtin" || p.Source == "" {
		sp := StagePlugin{Kind: kind, Source: "builtin"}
		if ok {
			sp.Version = p.Version
		}
		return sp
	}
	src := p.Source
	if !filepath.IsAbs(src) {
		src = filepath.Join(c.Dir, src)
	}
	return StagePlugin{Kind: kind, Source: src, Checksum: p.Checksum, Version: p.Version}
}
