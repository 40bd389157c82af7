package pipeline

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/llmflow/llmflow/artifact"
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
	tokPath := filepath.Join(run.Inputs["tokenizer"].Path, tokenizer.FileName)
	tok, err := tokenizer.Load(tokPath)
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
