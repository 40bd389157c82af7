package pretrain

import (
	"context"
	"fmt"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// Inputs are what Train reads.
type Inputs struct {
	Train *trainer.Data
	Val   *trainer.Data // optional
	// TokenizerJSON is the tokenizer.json copied into the checkpoint (optional).
	TokenizerJSON string
	// Resume names a checkpoint directory with training state to continue
	// from; empty resumes from outDir/model when it holds training state.
	Resume string
}

// Train builds a GPT-2 from scratch and trains it with the shared trainer,
// writing the checkpoint to outDir/model (see trainer.Run).
func Train(ctx context.Context, cfg Config, in Inputs, outDir string, ev trainer.Events) (*trainer.Result, error) {
	if diags := cfg.Check(); diags.HasErrors() {
		return nil, fmt.Errorf("pretrain config: %w", diags.Err())
	}
	src, err := trainer.NewShuffled(in.Train, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("pretrain: %w", err)
	}
	var tok *tokenizer.Tokenizer
	if in.TokenizerJSON != "" {
		if tok, err = tokenizer.Load(in.TokenizerJSON); err != nil {
			return nil, err
		}
	}
	m, err := newModel(cfg, in, tok)
	if err != nil {
		return nil, err
	}
	return trainer.Run(ctx, trainer.Spec{
		Name: "pretrain", Config: cfg.Config, Settings: cfg, Model: m, BlockSize: cfg.BlockSize,
		Train: src, Val: in.Val, Tokenizer: tok, TokenizerJSON: in.TokenizerJSON, Resume: in.Resume,
	}, outDir, ev)
}

// newModel returns the initialised model: its vocabulary covers the data and
// the tokenizer, or is vocab_size when set.
func newModel(cfg Config, in Inputs, tok *tokenizer.Tokenizer) (*model.Model, error) {
	vocab := int(in.Train.MaxID) + 1
	if in.Val != nil {
		vocab = max(vocab, int(in.Val.MaxID)+1)
	}
	if tok != nil {
		vocab = max(vocab, tok.VocabSize())
	}
	if cfg.VocabSize > 0 {
		if cfg.VocabSize < vocab {
			return nil, fmt.Errorf("pretrain config: vocab_size %d is smaller than the data and tokenizer need (%d)", cfg.VocabSize, vocab)
		}
		vocab = cfg.VocabSize
	}
	mc := cfg.modelConfig(vocab)
	if tok != nil {
		if id, ok := tok.SpecialID("<|endoftext|>"); ok {
			mc.BOSTokenID, mc.EOSTokenID = int(id), int(id)
		}
	}
	m, err := model.New(mc)
	if err != nil {
		return nil, err
	}
	m.Init(uint64(cfg.Seed))
	return m, nil
}
