package pipeline

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
)

// Port is a named input or output of a node type.
type Port struct {
	Name     string
	Kind     string // artifact kind, e.g. artifact.KindText; "" accepts any
	Required bool   // inputs only
	// List makes an input take a list of references (mix's inputs). Its
	// references are the node's inputs NAME[0], NAME[1], ... in order.
	List     bool
	NonEmpty bool // optional inputs only: an empty dataset wired here fails the node
	Doc      string
}

// BlockType describes a built-in node type such as dataset or clean. Adding
// a type is one small file whose init function calls RegisterBlockType.
type BlockType struct {
	// Name is the HCL block type; blocks take one label, the node name.
	Name string
	// Doc is a one-line description for help output.
	Doc string
	// Inputs are the attributes that hold references to other nodes.
	Inputs []Port
	// Outputs are the artifacts the node produces; the first is the default
	// output a bare reference ("clean.web") points at. At least one.
	Outputs []Port
	// NewConfig returns a pointer to a fresh configuration struct holding
	// the defaults, with gohcl tags (`hcl:"min_words,optional"`). The
	// remaining attributes of the block decode into it.
	NewConfig func() any
	// Validate optionally checks a decoded configuration; its error is
	// reported against the block.
	Validate func(cfg any) error
	// Drops is set for types that remove rows (clean, dedup): when one
	// writes nothing from a non-empty input, a stage that needed rows is
	// told it dropped them all.
	Drops bool
	// EmptyHint optionally suggests, for a decoded configuration, why the
	// named output came out empty ("val_fraction = 0?"); "" for no guess.
	EmptyHint func(cfg any, output string) string
	// Complete optionally checks a decoded, valid configuration against the
	// node's inputs and fills in what they determine (mix: the source names,
	// which the cache key must cover), before the configuration is encoded.
	Complete func(cfg any, n *Node) hcl.Diagnostics
	// Sources optionally lists files outside the store that the node reads
	// (resolved against the pipeline directory); their content is hashed
	// into the cache key, so editing them re-runs the node.
	Sources func(cfg any, dir string) ([]string, error)
	// RunShard and Merge, when both set, let `shards = N` split the node
	// into N tasks: RunShard runs task of tasks into the shared directory
	// dir, then Merge combines what the tasks left there into the
	// outputs, which must not depend on N (see shard.go).
	RunShard func(ctx context.Context, run *NodeRun, dir string, task, tasks int) error
	Merge    func(ctx context.Context, run *NodeRun, dir string, tasks int) (map[string]string, error)
	// MergeAsTasksEnd says Merge reads what each task left only through
	// mergeParts and loadShardStats, which wait for that task, so in the
	// host the merge may start before the tasks end.
	MergeAsTasksEnd bool
	// Run produces the node's outputs. It must honour ctx, report through
	// run, and commit each output to run.Store, returning name -> digest.
	Run func(ctx context.Context, run *NodeRun) (map[string]string, error)
}

var registry = struct {
	sync.RWMutex
	types map[string]*BlockType
}{types: map[string]*BlockType{}}

// reservedBlocks are the language's own block types.
var reservedBlocks = []string{"variable", "locals", "plugin", "executor", "stage", "output"}

// RegisterBlockType adds a node type. It panics on a malformed or duplicate
// type, because that is a programming error found at start-up.
func RegisterBlockType(bt BlockType) {
	if bt.Name == "" || bt.NewConfig == nil || bt.Run == nil || len(bt.Outputs) == 0 {
		panic(fmt.Sprintf("pipeline: block type %q needs Name, NewConfig, Run and an output", bt.Name))
	}
	registry.Lock()
	defer registry.Unlock()
	for _, r := range reservedBlocks {
		if r == bt.Name {
			panic("pipeline: block type name is reserved: " + bt.Name)
		}
	}
	if _, dup := registry.types[bt.Name]; dup {
		panic("pipeline: block type registered twice: " + bt.Name)
	}
	registry.types[bt.Name] = &bt
}

// LookupBlockType returns a registered node type.
func LookupBlockType(name string) (*BlockType, bool) {
	registry.RLock()
	defer registry.RUnlock()
	bt, ok := registry.types[name]
	return bt, ok
}

// BlockTypes returns the registered node type names, sorted.
func BlockTypes() []string {
	registry.RLock()
	defer registry.RUnlock()
	return sortedKeys(registry.types)
}

// listInput names element i of list input name.
func listInput(name string, i int) string { return fmt.Sprintf("%s[%d]", name, i) }

// portName is the input a node input name belongs to: "inputs" for
// "inputs[2]".
func portName(input string) string {
	if i := strings.IndexByte(input, '['); i > 0 {
		return input[:i]
	}
	return input
}

// ListRefs returns the references of list input name in order.
func (n *Node) ListRefs(name string) []*Ref {
	var refs []*Ref
	for i := 0; ; i++ {
		r, ok := n.Inputs[listInput(name, i)]
		if !ok {
			return refs
		}
		refs = append(refs, r)
	}
}

func (bt *BlockType) input(name string) (Port, bool) {
	for _, p := range bt.Inputs {
		if p.Name == portName(name) {
			return p, true
		}
	}
	return Port{}, false
}

func (bt *BlockType) output(name string) bool {
	for _, p := range bt.Outputs {
		if p.Name == name {
			return true
		}
	}
	return false
}

// shardedTypes lists the node types that take shards, sorted.
func shardedTypes() []string {
	var out []string
	for _, name := range BlockTypes() {
		if bt, _ := LookupBlockType(name); bt.RunShard != nil && bt.Merge != nil {
			out = append(out, name)
		}
	}
	return out
}
