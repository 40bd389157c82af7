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
		Validate: func(cfg any) error { return cfg.(*clean.Config).Validate() },
		Drops:    true,
		Run:      runClean,
		RunShard: cleanShard,
		Merge:    mergeClean,
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

// cleanShard cleans task's part of the input into the shard directory.
func cleanShard(ctx context.Context, run *NodeRun, dir string, task, tasks int) error {
	cfg := *run.Config.(*clean.Config)
	in, err := run.inputPart("input", task, tasks)
	if err != nil {
		return err
	}
	kept, err := partWriter(dir, "data", task, clean.OutputSchema(in.Schema(), cfg))
	if err != nil {
		return err
	}
	defer kept.Abort()
	rejects, err := partWriter(dir, "rejects", task, clean.RejectsSchema(in.Schema()))
	if err != nil {
		return err
	}
	defer rejects.Abort()
	st, err := clean.Run(ctx, in, kept, cfg, progressOnly{run}, clean.WithRejects(rejects))
	if err != nil {
		return err
	}
	if err := kept.Close(); err != nil {
		return err
	}
	if err := rejects.Close(); err != nil {
		return err
	}
	return saveShardStats(dir, task, st)
}

// mergeClean commits the tasks' parts as the node's outputs and reports
// the summed counters, as one run over the whole input would.
func mergeClean(ctx context.Context, run *NodeRun, dir string, tasks int) (map[string]string, error) {
	cfg := *run.Config.(*clean.Config)
	in, err := run.inputDataset("input")
	if err != nil {
		return nil, err
	}
	var st clean.Stats
	if err := loadShardStats(dir, tasks, func(s clean.Stats) { st.Add(s) }); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, o := range []struct {
		name   string
		schema *arrow.Schema
	}{{"data", clean.OutputSchema(in.Schema(), cfg)}, {"rejects", clean.RejectsSchema(in.Schema())}} {
		w, err := run.newDatasetOutput(artifact.KindText, o.schema)
		if err != nil {
			return nil, err
		}
		defer w.abort()
		if err := mergeParts(ctx, dir, o.name, tasks, w.w); err != nil {
			return nil, err
		}
		if out[o.name], err = w.commit(nil); err != nil {
			return nil, err
		}
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
