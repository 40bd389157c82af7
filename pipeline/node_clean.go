package pipeline

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

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
		Validate:        func(cfg any) error { return cfg.(*clean.Config).Validate() },
		Drops:           true,
		Run:             runClean,
		RunShard:        cleanShard,
		Merge:           mergeClean,
		MergeAsTasksEnd: true,
	})
}

func runClean(ctx context.Context, run *NodeRun) (map[string]string, error) {
	cfg := *run.Config.(*clean.Config)
	in, err := run.inputPart("input", 0, 1) // read unit by unit
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

// cleanOutputs are clean's outputs for an input schema, in Outputs order.
func cleanOutputs(cfg clean.Config) func(in *arrow.Schema) []shardOutput {
	return func(in *arrow.Schema) []shardOutput {
		return []shardOutput{{"data", clean.OutputSchema(in, cfg)}, {"rejects", clean.RejectsSchema(in)}}
	}
}

// cleanShard cleans task's part of the input into the shard directory.
func cleanShard(ctx context.Context, run *NodeRun, dir string, task, tasks int) error {
	cfg := *run.Config.(*clean.Config)
	return runPartTask(ctx, run, dir, task, tasks, cleanOutputs(cfg), func(in *datasetPart, w []*partSink, rep taskReporter) (any, error) {
		return clean.Run(ctx, in, w[0], cfg, rep, clean.WithRejects(w[1]))
	})
}

// mergeClean commits the tasks' parts as the node's outputs and reports
// the summed counters, as one run over the whole input would.
func mergeClean(ctx context.Context, run *NodeRun, dir string, tasks int) (map[string]string, error) {
	cfg := *run.Config.(*clean.Config)
	// The parts first: in the host they are merged as the tasks end,
	// and the counters are known only when all have.
	out, err := mergeOutputs(ctx, run, dir, tasks, cleanOutputs(cfg))
	if err != nil {
		return nil, err
	}
	var st clean.Stats
	if err := loadShardStats(ctx, dir, tasks, func(s clean.Stats) { st.Add(s) }); err != nil {
		return nil, err
	}
	clean.ReportMetrics(run, st)
	warning, err := cfg.CheckDrops(st)
	if err != nil {
		return nil, err
	}
	if warning != "" {
		run.Warn(warning)
	}
	return out, nil
}
