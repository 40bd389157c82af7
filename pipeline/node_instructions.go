package pipeline

import (
	"context"

	"github.com/hashicorp/hcl/v2"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/instruction"
)

// InstructionsConfig is the configuration of an instructions block: records
// of one shape, from JSONL files (path) or a text dataset (the input
// reference), mapped to an instruction dataset.
type InstructionsConfig struct {
	// Path is a file or glob, relative to the pipeline file; like a
	// dataset's, it stays out of the cache key, which holds the files'
	// content instead.
	Path    string            `hcl:"path,optional" json:"-"`
	Shape   string            `hcl:"shape" json:"shape"`
	Fields  map[string]string `hcl:"fields,optional" json:"fields,omitempty"`
	Roles   map[string]string `hcl:"roles,optional" json:"roles,omitempty"`
	IDField string            `hcl:"id_field,optional" json:"id_field"`
	OnError string            `hcl:"on_error,optional" json:"on_error"`
}

func (c *InstructionsConfig) mapping() instruction.Config {
	return instruction.Config{Shape: c.Shape, Fields: c.Fields, Roles: c.Roles, IDField: c.IDField, OnError: c.OnError}
}

func init() {
	RegisterBlockType(BlockType{
		Name:    "instructions",
		Doc:     "map alpaca, question/answer, prompt/response or chat records to an instruction dataset",
		Inputs:  []Port{{Name: "input", Kind: artifact.KindText, Doc: "a text dataset whose columns hold the records' fields"}},
		Outputs: []Port{{Name: "data", Kind: artifact.KindInstruction}},
		NewConfig: func() any {
			d := instruction.DefaultConfig()
			return &InstructionsConfig{IDField: d.IDField, OnError: d.OnError}
		},
		Validate: func(cfg any) error { return cfg.(*InstructionsConfig).mapping().Validate() },
		Complete: checkInstructionsInputs,
		Sources:  instructionsSources,
		Run:      runInstructions,
	})
}

// checkInstructionsInputs requires exactly one of path and input.
func checkInstructionsInputs(cfg any, n *Node) hcl.Diagnostics {
	return checkPathOrInput(cfg.(*InstructionsConfig).Path, n)
}

// checkPathOrInput requires exactly one of a path attribute and an input
// reference, for blocks that read JSONL files or a text dataset.
func checkPathOrInput(path string, n *Node) hcl.Diagnostics {
	hasPath := path != ""
	_, hasInput := n.Inputs["input"]
	var detail string
	switch {
	case hasPath && hasInput:
		detail = "Give either path (JSONL files) or input (a text dataset), not both."
	case !hasPath && !hasInput:
		detail = "Give path (JSONL files) or input (a text dataset, e.g. input = dataset.x)."
	default:
		return nil
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid " + n.Type + " inputs",
		Detail: detail, Subject: n.DeclRange.Ptr()}}
}

func instructionsSources(cfg any, dir string) ([]string, error) {
	if p := cfg.(*InstructionsConfig).Path; p != "" {
		return globSources(p, dir)
	}
	return nil, nil
}

func runInstructions(ctx context.Context, run *NodeRun) (map[string]string, error) {
	c := run.Config.(*InstructionsConfig)
	st, err := run.Store.NewStaging(artifact.KindInstruction)
	if err != nil {
		return nil, err
	}
	defer st.Abort() // no-op after a successful commit
	var stats instruction.Stats
	if c.Path != "" {
		var paths []string
		if paths, err = globSources(c.Path, run.Dir); err != nil {
			return nil, err
		}
		stats, err = instruction.Ingest(ctx, paths, st.Dir(), c.mapping())
	} else {
		var in *artifact.Dataset
		if in, err = run.inputDataset("input"); err != nil {
			return nil, err
		}
		stats, err = instruction.FromDataset(ctx, in, st.Dir(), c.mapping())
	}
	if err != nil {
		return nil, err
	}
	run.Metrics(stats.Metrics())
	for _, ex := range stats.Examples {
		run.Log("skipped " + ex)
	}
	st.SetRows(stats.Rows)
	st.SetSchema(artifact.SchemaString(instruction.Schema()))
	m, err := st.Commit()
	if err != nil {
		return nil, err
	}
	return map[string]string{"data": m.Digest}, nil
}
