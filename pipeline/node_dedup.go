package pipeline

import (
	"context"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/dedup"
)

func init() {
	RegisterBlockType(BlockType{
		Name: "dedup",
		Doc:  "remove exact and near-duplicate documents, optionally those found in another dataset",
		Inputs: []Port{
			{Name: "input", Kind: artifact.KindText, Required: true},
			{Name: "against", Kind: artifact.KindText, Doc: "documents to remove from input (contamination)"},
		},
		Outputs: []Port{{Name: "data", Kind: artifact.KindText}},
		NewConfig: func() any {
			c := dedup.DefaultConfig()
			return &c
		},
		Validate: func(cfg any) error { return cfg.(*dedup.Config).Validate() },
		Drops:    true,
		Run:      runDedup,
		RunShard: dedupShard,
		Merge:    mergeDedup,
		Complete: func(cfg any, n *Node) hcl.Diagnostics {
			if n.Meta.Shards > 1 && cfg.(*dedup.Config).Index != dedup.IndexDisk {
				return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Dedup shards need the index on disk",
					Detail: `shards splits the signature phase of a dedup with index = "disk"; add it, or drop shards.`, Subject: n.DeclRange.Ptr()}}
			}
			return nil
		},
	})
}

// dedupSortBytes bounds the sort buffers of a dedup with its index on disk.
const dedupSortBytes = 64 << 20

func runDedup(ctx context.Context, run *NodeRun) (map[string]string, error) {
	return dedupWhole(ctx, run)
}

// dedupWhole deduplicates the input; opts may hand it the signatures of
// a sharded run.
func dedupWhole(ctx context.Context, run *NodeRun, opts ...dedup.RunOption) (map[string]string, error) {
	cfg := *run.Config.(*dedup.Config)
	cfg.Seed = run.Seed
	in, err := run.inputDataset("input")
	if err != nil {
		return nil, err
	}
	if _, ok := run.Inputs["against"]; ok {
		ref, err := run.inputDataset("against")
		if err != nil {
			return nil, err
		}
		opts = append(opts, dedup.WithAgainst(ref, ""))
	}
	out, err := run.newDatasetOutput(artifact.KindText, in.Schema())
	if err != nil {
		return nil, err
	}
	defer out.abort()
	var st dedup.Stats
	if cfg.Index == dedup.IndexDisk {
		// The node's work directory: under its lock, and removed by the
		// cleanup of a later run when this one is killed.
		work := run.Store.WorkDir(run.Key)
		st, err = dedup.RunOnDisk(ctx, in, out.w, cfg, run, filepath.Join(work, "dedup"), dedupSortBytes, opts...)
		os.Remove(work) // when empty: a stage's resumable work lives there too

	} else {
		st, err = dedup.Run(ctx, in, out.w, cfg, run, opts...)
	}
	if err != nil {
		return nil, err
	}
	run.Metrics(st.Metrics())
	digest, err := out.commit(nil)
	if err != nil {
		return nil, err
	}
	return map[string]string{"data": digest}, nil
}

// dedupShard signs task's part of the input; the merge runs the phases
// after the signatures over all the parts, as one run would.
func dedupShard(ctx context.Context, run *NodeRun, dir string, task, tasks int) error {
	cfg := *run.Config.(*dedup.Config)
	cfg.Seed = run.Seed
	in, err := run.inputPart("input", task, tasks)
	if err != nil {
		return err
	}
	var refs uint64
	if _, ok := run.Inputs["against"]; ok {
		ref, err := run.inputDataset("against")
		if err != nil {
			return err
		}
		refs = uint64(ref.Rows())
	}
	// Each task gets its share of the sort buffers: locally they run together.
	return dedup.SignPart(ctx, in, cfg, dedupPartDir(dir, task), refs, dedupSortBytes/tasks, taskReporter{run, task, tasks})
}

func dedupPartDir(dir string, task int) string { return partDir(dir, "signatures", task) }

func mergeDedup(ctx context.Context, run *NodeRun, dir string, tasks int) (map[string]string, error) {
	parts := make([]string, tasks)
	for i := range parts {
		parts[i] = dedupPartDir(dir, i)
	}
	return dedupWhole(ctx, run, dedup.WithSignedParts(parts))
}
