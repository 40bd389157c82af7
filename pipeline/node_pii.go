package pipeline

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

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
		Validate:        func(cfg any) error { return cfg.(*pii.Config).Validate() },
		Run:             runPII,
		RunShard:        piiShard,
		Merge:           mergePII,
		MergeAsTasksEnd: true,
	})
}

func runPII(ctx context.Context, run *NodeRun) (map[string]string, error) {
	cfg := *run.Config.(*pii.Config)
	in, err := run.inputPart("input", 0, 1) // read unit by unit
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

func piiOutputs(in *arrow.Schema) []shardOutput { return []shardOutput{{"data", in}} }

// piiShard scrubs task's part of the input into the shard directory.
func piiShard(ctx context.Context, run *NodeRun, dir string, task, tasks int) error {
	cfg := *run.Config.(*pii.Config)
	return runPartTask(ctx, run, dir, task, tasks, piiOutputs, func(in *datasetPart, w []*partSink, rep taskReporter) (any, error) {
		return pii.Run(ctx, in, w[0], cfg, rep)
	})
}

// mergePII commits the tasks' parts and reports the summed counters.
func mergePII(ctx context.Context, run *NodeRun, dir string, tasks int) (map[string]string, error) {
	// The parts first: in the host they are merged as the tasks end,
	// and the counters are known only when all have.
	out, err := mergeOutputs(ctx, run, dir, tasks, piiOutputs)
	if err != nil {
		return nil, err
	}
	var st pii.Stats
	if err := loadShardStats(ctx, dir, tasks, func(s pii.Stats) { st.Add(s) }); err != nil {
		return nil, err
	}
	pii.ReportMetrics(run, st)
	return out, nil
}
