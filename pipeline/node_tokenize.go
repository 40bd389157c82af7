package pipeline

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/stream"
	"github.com/llmflow/llmflow/dataprep/tokenize"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

func init() {
	RegisterBlockType(BlockType{
		Name: "tokenize",
		Doc:  "encode a text dataset into packed token blocks with a train/validation split",
		Inputs: []Port{
			{Name: "input", Kind: artifact.KindText, Required: true},
			{Name: "tokenizer", Kind: artifact.KindTokenizer, Required: true},
		},
		Outputs: []Port{{Name: "train", Kind: artifact.KindTokens}, {Name: "val", Kind: artifact.KindTokens}},
		NewConfig: func() any {
			c := tokenize.DefaultConfig()
			return &c
		},
		Validate:  func(cfg any) error { return cfg.(*tokenize.Config).Validate() },
		EmptyHint: tokenizeEmptyHint,
		Run:       runTokenize,
		RunShard:  tokenizeShard,
		Merge:     mergeTokenize,
	})
}

func tokenizeEmptyHint(cfg any, output string) string {
	f := cfg.(*tokenize.Config).ValFraction
	switch {
	case output == "val" && f == 0:
		return "val_fraction = 0?"
	case output == "val":
		return fmt.Sprintf("val_fraction = %g sent no document to validation; too few documents?", f)
	}
	return ""
}

func runTokenize(ctx context.Context, run *NodeRun) (map[string]string, error) {
	cfg := *run.Config.(*tokenize.Config)
	cfg.Seed = run.Seed
	in, err := run.inputDataset("input")
	if err != nil {
		return nil, err
	}
	tok, err := loadInputTokenizer(run)
	if err != nil {
		return nil, err
	}
	train, err := run.newDatasetOutput(artifact.KindTokens, tokenize.Schema())
	if err != nil {
		return nil, err
	}
	defer train.abort()
	val, err := run.newDatasetOutput(artifact.KindTokens, tokenize.Schema())
	if err != nil {
		return nil, err
	}
	defer val.abort()
	st, err := tokenize.Run(ctx, in, tok, train.w, val.w, cfg, run)
	if err != nil {
		return nil, err
	}
	return commitTokens(run, tok, cfg, st, train, val)
}

func loadInputTokenizer(run *NodeRun) (*tokenizer.Tokenizer, error) {
	return tokenizer.Load(filepath.Join(run.Inputs["tokenizer"].Path, tokenizer.FileName))
}

// commitTokens reports st and commits the train and val outputs.
func commitTokens(run *NodeRun, tok *tokenizer.Tokenizer, cfg tokenize.Config, st tokenize.Stats, train, val *datasetOutput) (map[string]string, error) {
	run.Metrics(st.Metrics())
	// Each token dataset carries its tokenizer, so a training stage that
	// reads it can write a checkpoint the Python ecosystem loads as it is.
	meta := tokenize.Meta(tok, cfg)
	out := map[string]string{}
	for name, o := range map[string]*datasetOutput{"train": train, "val": val} {
		if err := tok.Save(filepath.Join(o.st.Dir(), tokenizer.FileName)); err != nil {
			return nil, err
		}
		digest, err := o.commit(meta)
		if err != nil {
			return nil, err
		}
		out[name] = digest
	}
	return out, nil
}

// tokenizeDocs are the documents a task encodes, per split.
func tokenizeDocs(*arrow.Schema) []shardOutput {
	return []shardOutput{{"train-docs", tokenize.DocsSchema()}, {"val-docs", tokenize.DocsSchema()}}
}

// tokenizeShard encodes task's part of the input into documents of token
// ids; the merge packs them all, so rows cross the parts' boundaries as
// they would in one run.
func tokenizeShard(ctx context.Context, run *NodeRun, dir string, task, tasks int) error {
	cfg := *run.Config.(*tokenize.Config)
	cfg.Seed = run.Seed
	tok, err := loadInputTokenizer(run)
	if err != nil {
		return err
	}
	return runPartTask(ctx, run, dir, task, tasks, tokenizeDocs, func(in *datasetPart, w []*partSink, rep taskReporter) (any, error) {
		// The merge packs the documents, so they always go to the parts.
		return tokenize.Encode(ctx, in, tok, w[0].file, w[1].file, cfg, rep)
	})
}

// mergeTokenize packs the tasks' documents, in order, into the node's
// outputs and reports the whole run's counters.
func mergeTokenize(ctx context.Context, run *NodeRun, dir string, tasks int) (map[string]string, error) {
	cfg := *run.Config.(*tokenize.Config)
	cfg.Seed = run.Seed
	tok, err := loadInputTokenizer(run)
	if err != nil {
		return nil, err
	}
	var encoded tokenize.Stats
	if err := loadShardStats(ctx, dir, tasks, func(s tokenize.Stats) { encoded.Add(s) }); err != nil {
		return nil, err
	}
	var parts [2][]stream.Source
	for i := range tasks {
		for k, o := range tokenizeDocs(nil) {
			part, err := artifact.OpenDataset(partDir(dir, o.name, i))
			if err != nil {
				return nil, fmt.Errorf("part %d of %s: %w", i, o.name, err)
			}
			parts[k] = append(parts[k], part)
		}
	}
	train, err := run.newDatasetOutput(artifact.KindTokens, tokenize.Schema())
	if err != nil {
		return nil, err
	}
	defer train.abort()
	val, err := run.newDatasetOutput(artifact.KindTokens, tokenize.Schema())
	if err != nil {
		return nil, err
	}
	defer val.abort()
	st, err := tokenize.Pack(ctx, parts[0], parts[1], tok, train.w, val.w, cfg, encoded)
	if err != nil {
		return nil, err
	}
	run.Metric("tokens", st.Docs, float64(st.Tokens)) // the series' last point of a whole run
	return commitTokens(run, tok, cfg, st, train, val)
}
