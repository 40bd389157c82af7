package peft

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// checkDataKinds refuses data and val inputs that are neither instruction
// nor token datasets, or of different kinds; it reports whether they are
// token datasets. (The ports accept any kind, so the plan cannot check.)
func checkDataKinds(inputs map[string]sdk.Input) (tokens bool, err error) {
	data := inputs["data"]
	if data.Kind != artifact.KindInstruction && data.Kind != artifact.KindTokens {
		return false, fmt.Errorf("input \"data\" is a %s; peft trains on an instruction dataset (%s, rendered as sft does) or a token dataset (%s, continued pretraining)",
			data.Kind, artifact.KindInstruction, artifact.KindTokens)
	}
	if v, ok := inputs["val"]; ok && v.Kind != data.Kind {
		return false, fmt.Errorf("input \"val\" is a %s but \"data\" a %s; give both of one kind", v.Kind, data.Kind)
	}
	return data.Kind == artifact.KindTokens, nil
}

// trainTokens continues pretraining of the frozen base in modelDir on token
// datasets, with the method's parameters attached (adapt).
func trainTokens(ctx context.Context, cfg Config, modelDir string, inputs map[string]sdk.Input, outDir string, adapt func(*model.Model) error, ev sdk.Events) (*trainer.Result, error) {
	m, err := model.LoadCheckpoint(modelDir)
	if err != nil {
		return nil, err
	}
	// A prefix takes positions from the rows.
	if err := adapt(m); err != nil {
		return nil, err
	}
	T := cfg.BlockSize
	if T == 0 {
		T = m.MaxTokens()
	}
	if err := m.CheckRowLength(T); err != nil {
		return nil, fmt.Errorf("peft config: block_size %d: %w", T, err)
	}
	train, err := trainer.LoadData(ctx, inputs["data"].Path, T)
	if err != nil {
		return nil, err
	}
	var val *trainer.Data
	if v, ok := inputs["val"]; ok {
		if val, err = trainer.LoadData(ctx, v.Path, T); err != nil {
			return nil, err
		}
	}
	for name, d := range map[string]*trainer.Data{"data": train, "val": val} {
		if d != nil && int(d.MaxID) >= m.Config.VocabSize {
			return nil, fmt.Errorf("input %q holds token id %d, outside the model's vocabulary of %d; tokenize it with the base's tokenizer", name, d.MaxID, m.Config.VocabSize)
		}
	}
	src, err := trainer.NewShuffled(train, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("peft: %w", err)
	}
	var tok *tokenizer.Tokenizer
	tokPath := filepath.Join(modelDir, model.TokenizerFile)
	if _, err := os.Stat(tokPath); err != nil {
		tokPath = ""
	} else if tok, err = tokenizer.Load(tokPath); err != nil {
		return nil, err
	}
	ev.Log(fmt.Sprintf("peft: %d training rows (%d tokens) of a token dataset", len(train.Examples), train.Tokens()))
	return trainer.Run(ctx, trainer.Spec{
		Name: "peft", Config: cfg.Config.Config, Settings: cfg, Model: m, BlockSize: T,
		Train: src, Val: val, Tokenizer: tok, TokenizerJSON: tokPath,
	}, outDir, ev)
}
