package sdk

import (
	"context"

	"github.com/zclconf/go-cty/cty"
)

// Stage is what a plugin author implements. Methods may be called
// concurrently; Run is called at most once per process by the llmflow host
// but must not rely on it.
type Stage interface {
	// Describe reports name, version, config schema, inputs and outputs.
	// It must be cheap and side-effect free: the host calls it at plan time.
	Describe(ctx context.Context) (*Description, error)
	// Validate checks a config conforming to the described schema (defaults
	// applied) and returns problems as diagnostics. Side-effect free.
	Validate(ctx context.Context, cfg cty.Value) Diagnostics
	// Run executes the stage. ctx is cancelled when the host calls Stop or
	// goes away: the stage then finishes its current step, saves what it
	// must, and returns ctx.Err().
	Run(ctx context.Context, req *RunRequest, ev Events) error
}

// Description is a stage's self-description.
type Description struct {
	Name    string
	Version string
	Doc     string
	Config  []Attribute
	Inputs  []Port
	Outputs []Port
}

// Attribute is one setting in a stage's config block.
type Attribute struct {
	Name     string
	Type     cty.Type
	Required bool
	// Default is used when the attribute is absent; cty.NilVal means none
	// (the attribute is then null when absent).
	Default   cty.Value
	Doc       string
	Sensitive bool
}

// Port is an input a stage takes or an output it produces.
type Port struct {
	Name     string
	Kind     string // artifact kind, e.g. "dataset/tokens"
	Optional bool
	// NonEmpty makes the host refuse to run the stage on an empty dataset
	// wired to this optional input, naming the node that emptied it, as it
	// does for a required input. For inputs of which the stage needs one of
	// several, or that it cannot leave out once given.
	NonEmpty bool
	Doc      string
}

// Input locates one input artifact on the shared filesystem.
type Input struct {
	Path   string
	Digest string // "sha256:<hex>"
	Kind   string
}

// RunRequest is what a stage gets to run.
type RunRequest struct {
	Config cty.Value
	Inputs map[string]Input
	// OutputDir is where the stage writes its outputs. It is the same
	// directory for every attempt of the same node (same config, inputs,
	// plugin binary and seed), and it keeps what a failed or killed attempt
	// left, so a stage may resume from its own saved state; a stage that
	// does not resume must overwrite, not append to, what it finds there.
	OutputDir string
	Seed      int64
}

// Output is an artifact a stage produced: a directory under the request's
// OutputDir.
type Output struct {
	Name string
	Path string
	Kind string
}

// Events is how a running stage reports to the host. Implementations are
// safe for concurrent use.
type Events interface {
	Progress(done, total int64, unit string)
	Metric(step int64, name string, value float64)
	Log(line string)
	Output(name, path, kind string)
}

// ConfigType returns the object type of a config conforming to d.Config.
func (d *Description) ConfigType() cty.Type {
	attrs := make(map[string]cty.Type, len(d.Config))
	for _, a := range d.Config {
		attrs[a.Name] = a.Type
	}
	return cty.Object(attrs)
}

// Input returns the input port called name.
func (d *Description) Input(name string) (Port, bool) { return findPort(d.Inputs, name) }

// Output returns the output port called name.
func (d *Description) Output(name string) (Port, bool) { return findPort(d.Outputs, name) }

func findPort(ports []Port, name string) (Port, bool) {
	for _, p := range ports {
		if p.Name == name {
			return p, true
		}
	}
	return Port{}, false
}
