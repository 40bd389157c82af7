package pipeline

import (
	"context"
	"path/filepath"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/tokenize"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

func init() {
	RegisterBlockType(BlockType{
		Name:    "tokenizer",
		Doc:     "train a byte-level BPE tokenizer (Hugging Face tokenizer.json)",
		Inputs:  []Port{{Name: "input", Kind: artifact.KindText, Required: true}},
		Outputs: []Port{{Name: "tokenizer", Kind: artifact.KindTokenizer}},
		NewConfig: func() any {
			c := tokenizer.DefaultConfig()
			return &c
		},
		Validate: func(cfg any) error { return cfg.(*tokenizer.Config).Validate() },
		Run:      runTokenizer,
	})
}

func runTokenizer(ctx context.Context, run *NodeRun) (map[string]string, error) {
	cfg := *run.Config.(*tokenizer.Config)
	in, err := run.inputDataset("input")
	if err != nil {
		return nil, err
	}
	tok, st, err := tokenize.TrainFromDataset(ctx, in, cfg, run)
	if err != nil {
		return nil, err
	}
	run.Metrics(st.Metrics())
	stage, err := run.Store.NewStaging(artifact.KindTokenizer)
	if err != nil {
		return nil, err
	}
	defer stage.Abort()
	if err := tok.Save(filepath.Join(stage.Dir(), tokenizer.FileName)); err != nil {
		return nil, err
	}
	m, err := stage.Commit()
	if err != nil {
		return nil, err
	}
	return map[string]string{"tokenizer": m.Digest}, nil
}
