package pipeline

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/llmflow/llmflow/internal/dag"
	"github.com/zclconf/go-cty/cty"
)

// Config is one loaded pipeline file. It is immutable after Load.
type Config struct {
	Filename  string // as given to Load
	Dir       string // directory that relative paths in the file resolve against
	Source    []byte // the file's bytes, kept for run snapshots
	Variables map[string]*Variable
	Locals    map[string]*Local
	Plugins   map[string]*Plugin
	Executors map[string]*Executor
	Nodes     map[string]*Node // by address, e.g. "clean.web", "stage.base"
	Outputs   map[string]*Output
	Graph     *dag.Graph // node addresses; edge a -> b means b depends on a
}

// Variable is a declared input variable.
type Variable struct {
	Name    string
	Type    cty.Type
	Default cty.Value // cty.NilVal when the variable is required
	// DefaultRange is the source range of the default expression.
	DefaultRange hcl.Range
	Description  string
	Sensitive    bool
	Validations  []*Validation
	DeclRange    hcl.Range
}

// Validation is one condition a variable's value must satisfy.
type Validation struct {
	Condition    hcl.Expression
	ErrorMessage string
	DeclRange    hcl.Range
}

// Local is one named value from a locals block.
type Local struct {
	Name string
	Expr hcl.Expression
}

// Plugin declares where the implementation of a stage kind comes from.
type Plugin struct {
	Name      string // the stage kind it implements
	Source    string // "builtin" or a path to an executable
	Checksum  string // "sha256:<hex>", required for non-builtin sources
	Version   string // optional: the version the plugin must report, exactly
	DeclRange hcl.Range
}

// Ref is a reference to a node's output: Addr "clean.web", Output "" for
// the node's default output.
type Ref struct {
	Addr   string
	Output string
	Range  hcl.Range
}

// Node is one vertex of the pipeline: a built-in block (dataset, clean, ...)
// or a stage.
type Node struct {
	Addr      string // "<type>.<name>", stage nodes are "stage.<name>"
	Type      string // block type name
	Kind      string // stage kind (plugin name); equal to Type otherwise
	Name      string
	Inputs    map[string]*Ref // input attribute -> reference
	DependsOn []*Ref
	Body      hcl.Body // configuration body: remaining attributes, or a stage's config block
	Meta      NodeMeta
	DeclRange hcl.Range

	staticOK bool // body passed the static schema check; decode it at bind
}

// NodeMeta holds the meta-arguments every node accepts.
type NodeMeta struct {
	Seed      hcl.Expression // nil: seed 0
	Retries   int
	Timeout   time.Duration // 0: no timeout
	OnFailure string        // OnFailureContinue or OnFailureAbort
	// Executor names the executor block the node runs on; "" for the
	// pipeline's default. It is not part of the cache key.
	Executor      string
	ExecutorRange hcl.Range
	// Shards splits a node whose type supports it into that many tasks
	// (a Slurm job array); 0 or 1 runs it whole. Not part of the cache
	// key: the outputs do not depend on it.
	Shards int
}

// on_failure values.
const (
	// OnFailureContinue skips the failed node's dependants and lets
	// independent branches finish (the default).
	OnFailureContinue = "continue"
	// OnFailureAbort stops the run: nothing new starts after the failure.
	OnFailureAbort = "abort"
)

// Output names a node output as a result of the pipeline.
type Output struct {
	Name        string
	Ref         *Ref
	Description string
	DeclRange   hcl.Range
}

// NodeAddrs returns every node address in sorted order.
func (c *Config) NodeAddrs() []string { return sortedKeys(c.Nodes) }
