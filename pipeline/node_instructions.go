package pipeline

import (
	"context"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/instruction"
)

// InstructionsConfig is the configuration of an instructions block: JSONL
// files of one record shape, mapped to an instruction dataset.
type InstructionsConfig struct {
	Path    string            `hcl:"path" json:"path"` // file or glob, relative to the pipeline file
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
		Doc:     "map alpaca, question/answer, prompt/response or chat JSONL records to an instruction dataset",
		Outputs: []Port{{Name: "data", Kind: artifact.KindInstruction}},
		NewConfig: func() any {
			d := instruction.DefaultConfig()
			return &InstructionsConfig{IDField: d.IDField, OnError: d.OnError}
		},
		Validate: func(cfg any) error { return cfg.(*InstructionsConfig).mapping().Validate() },
		Sources:  func(cfg any, dir string) ([]string, error) { return globSources(cfg.(*InstructionsConfig).Path, dir) },
		Run:      runInstructions,
	})
}

func runInstructions(ctx context.Context, run *NodeRun) (map[string]string, error) {
	c := run.Config.(*InstructionsConfig)
	paths, err := globSources(c.Path, run.Dir)
	if err != nil {
		return nil, err
	}
	st, err := run.Store.NewStaging(artifact.KindInstruction)
	if err != nil {
		return nil, err
	}
	defer st.Abort() // no-op after a successful commit
	stats, err := instruction.Ingest(ctx, paths, st.Dir(), c.mapping())
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
