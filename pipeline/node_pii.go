package pipeline

import (
	"context"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/pii"
)

func init() {
	RegisterBlockType(BlockType{
		Name:    "pii",
		Doc:     "find personal data and secrets and replace them",
		Inputs:  []Port{{Name: "input", Kind: artifact.KindText, Required: true}},
		Outputs: []Port{{Name: "data", Kind: artifact.KindText}},
		NewConfig: func() any {
			c := pii.DefaultConfig()
			return &c
		},
		Validate: func(cfg any) error { return cfg.(*pii.Config).Validate() },
		Run:      runPII,
	})
}

func runPII(ctx context.Context, run *NodeRun) (map[string]string, error) {
	cfg := *run.Config.(*pii.Config)
	in, err := run.inputDataset("input")
	if err != nil {
		return nil, err
	}
	out, err := run.newDatasetOutput(artifact.KindText, in.Schema())
	if err != nil {
		return nil, err
	}
	defer out.abort()
	if _, err := pii.Run(ctx, in, out.w, cfg, run); err != nil {
		return nil, err
	}
	digest, err := out.commit(nil)
	if err != nil {
		return nil, err
	}
	return map[string]string{"data": digest}, nil
}
