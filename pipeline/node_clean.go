package pipeline

import (
	"context"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/clean"
)

func init() {
	RegisterBlockType(BlockType{
		Name:    "clean",
		Doc:     "normalise text and drop documents that fail quality rules",
		Inputs:  []Port{{Name: "input", Kind: artifact.KindText, Required: true}},
		Outputs: []Port{{Name: "data", Kind: artifact.KindText}, {Name: "rejects", Kind: artifact.KindText}},
		NewConfig: func() any {
			c := clean.DefaultConfig()
			return &c
		},
		Validate: func(cfg any) error { return cfg.(*clean.Config).Validate() },
		Drops:    true,
		Run:      runClean,
	})
}

func runClean(ctx context.Context, run *NodeRun) (map[string]string, error) {
	cfg := *run.Config.(*clean.Config)
	in, err := run.inputDataset("input")
	if err != nil {
		return nil, err
	}
	kept, err := run.newDatasetOutput(artifact.KindText, clean.OutputSchema(in.Schema(), cfg))
	if err != nil {
		return nil, err
	}
	defer kept.abort()
	rejects, err := run.newDatasetOutput(artifact.KindText, clean.RejectsSchema(in.Schema()))
	if err != nil {
		return nil, err
	}
	defer rejects.abort()
	st, err := clean.Run(ctx, in, kept.w, cfg, run, clean.WithRejects(rejects.w))
	if err != nil {
		return nil, err
	}
	warning, err := cfg.CheckDrops(st)
	if err != nil {
		return nil, err
	}
	if warning != "" {
		run.Warn(warning)
	}
	data, err := kept.commit(nil)
	if err != nil {
		return nil, err
	}
	rej, err := rejects.commit(nil)
	if err != nil {
		return nil, err
	}
	return map[string]string{"data": data, "rejects": rej}, nil
}
