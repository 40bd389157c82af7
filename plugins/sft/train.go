package sft

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// Inputs are what Train reads.
type Inputs struct {
	// ModelDir is the checkpoint to fine-tune; it must hold tokenizer.json.
	ModelDir string
	Train    [][]chat.Message
	// Val is the held-out conversations; nil holds out val_fraction of Train.
	Val [][]chat.Message
	// Template renders conversations; nil takes the built-in cfg.Template.
	Template *chat.Template
	// Resume names a checkpoint directory with training state to continue
	// from; empty resumes from outDir/model when it holds training state.
	Resume string
	// FixedVocab refuses a model whose tokenizer lacks the template's
	// tokens instead of growing its embedding: a frozen base must stay the
	// checkpoint it was read from.
	FixedVocab bool
	// Adapt, when set, prepares the loaded model for training (freezes it,
	// attaches adapters) before anything runs on it.
	Adapt func(m *model.Model) error
	// Settings is the whole config of the stage calling Train, when it
	// embeds Config: a saved state is resumed only under the same.
	Settings any
}

// Train fine-tunes the checkpoint on the conversations with the shared
// trainer and writes the checkpoint, with the chat template's Hugging Face
// files, to outDir/model (see trainer.Run).
func Train(ctx context.Context, cfg Config, in Inputs, outDir string, ev trainer.Events) (*trainer.Result, error) {
	if diags := cfg.Check(); diags.HasErrors() {
		return nil, fmt.Errorf("sft config: %w", diags.Err())
	}
	tmpl := in.Template
	if tmpl == nil {
		var err error
		if tmpl, err = chat.Builtin(cfg.Template); err != nil {
			return nil, err
		}
	}
	m, tok, err := loadModel(in.ModelDir, tmpl, in.FixedVocab, ev)
	if err != nil {
		return nil, err
	}
	if in.Adapt != nil {
		if err := in.Adapt(m); err != nil {
			return nil, err
		}
	}
	T := cfg.BlockSize
	if T == 0 {
		T = m.MaxTokens()
	}
	if err := m.CheckRowLength(T); err != nil {
		return nil, fmt.Errorf("sft config: block_size %d: %w", T, err)
	}
	ids, _ := tmpl.Resolve(tok)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	tokPath := filepath.Join(outDir, tokenizer.FileName)
	if err := tok.Save(tokPath); err != nil {
		return nil, err
	}
	train, val, err := examples(cfg, in, tmpl, tok, T, ev)
	if err != nil {
		return nil, err
	}
	src, err := trainer.NewPacked(train, T, ids.Pad, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("sft: %w", err)
	}
	if val != nil && len(val.Examples) > 0 {
		// The loss before training, for comparison with val_loss.
		o := trainer.EvalOptions{BatchSize: cfg.BatchSize, BlockSize: T, MaxBatches: cfg.EvalBatches, ResetPositionIDs: cfg.ResetPositionIDs}
		r, err := trainer.Evaluate(m, tok, val, o)
		if err != nil {
			return nil, err
		}
		ev.Metric(0, "base_val_loss", r.Loss())
	}
	var settings any = cfg
	if in.Settings != nil {
		settings = in.Settings
	}
	res, err := trainer.Run(ctx, trainer.Spec{
		Name: "sft", Config: cfg.Config, Settings: settings, Model: m, BlockSize: T,
		Train: src, Val: val, Tokenizer: tok, TokenizerJSON: tokPath, Resume: in.Resume,
	}, outDir, ev)
	if res == nil {
		return nil, err
	}
	if werr := writeChatFiles(res.Dir, tok, tmpl, m.MaxTokens()); werr != nil {
		return nil, werr
	}
	return res, err
}

// loadModel reads the checkpoint in dir and its tokenizer, adds the tokens
// tmpl needs and grows the embedding to match; the eos id becomes the end
// of turn. With fixed, a tokenizer lacking the template's tokens is refused.
func loadModel(dir string, tmpl *chat.Template, fixed bool, ev trainer.Events) (*model.Model, *tokenizer.Tokenizer, error) {
	m, err := model.LoadCheckpoint(dir)
	if err != nil {
		return nil, nil, err
	}
	base, err := tokenizer.Load(filepath.Join(dir, model.TokenizerFile))
	if err != nil {
		return nil, nil, fmt.Errorf("sft: the model input needs its tokenizer: %w", err)
	}
	if base.VocabSize() > m.Config.VocabSize {
		return nil, nil, fmt.Errorf("sft: %s has %d ids, more than the model's vocabulary of %d", filepath.Join(dir, model.TokenizerFile), base.VocabSize(), m.Config.VocabSize)
	}
	tok, added, err := chat.AddTokens(base, tmpl)
	if err != nil {
		return nil, nil, err
	}
	if added > 0 && fixed {
		return nil, nil, fmt.Errorf("%s lacks %d of the tokens the %s template needs (%s); a frozen base cannot grow its vocabulary: "+
			"fine-tune it with an sft stage first, or start from a checkpoint whose tokenizer has them",
			filepath.Join(dir, model.TokenizerFile), added, tmpl.Name(), strings.Join(missingTokens(base, tmpl), ", "))
	}
	if added > 0 {
		if m, err = model.GrowVocab(m, max(m.Config.VocabSize, tok.VocabSize()), base.VocabSize()); err != nil {
			return nil, nil, err
		}
		ev.Log(fmt.Sprintf("sft: added %d tokens for the %s template; vocabulary %d", added, tmpl.Name(), m.Config.VocabSize))
	}
	ev.Metric(0, "added_tokens", float64(added))
	ids, err := tmpl.Resolve(tok)
	if err != nil {
		return nil, nil, err
	}
	m.Config.BOSTokenID, m.Config.EOSTokenID = int(ids.BOS), int(ids.EOS)
	return m, tok, nil
}

// examples encodes the training and held-out conversations. Held-out
// examples always carry the response-only mask, so val_loss is the loss
// on responses whatever train_on_prompt says.
func examples(cfg Config, in Inputs, tmpl *chat.Template, tok *tokenizer.Tokenizer, T int, ev trainer.Events) (train, val *trainer.Data, err error) {
	convs, held := in.Train, in.Val
	if held == nil {
		convs, held = HoldOut(convs, cfg.ValFraction, cfg.Seed)
	}
	enc, err := chat.NewEncoder(tmpl, tok)
	if err != nil {
		return nil, nil, err
	}
	train, n, err := Encode(enc, convs, T, chat.Options{TrainOnPrompt: cfg.TrainOnPrompt}, cfg.Overlong)
	if err != nil {
		return nil, nil, err
	}
	ev.Metric(0, "examples", float64(n.Examples))
	ev.Metric(0, "truncated", float64(n.Truncated))
	ev.Metric(0, "dropped", float64(n.Dropped))
	ev.Log(fmt.Sprintf("sft: %d training examples (%d tokens) of %d conversations; %d truncated, %d dropped (overlong = %q, context %d)",
		n.Examples, train.Tokens(), len(convs), n.Truncated, n.Dropped, cfg.Overlong, T))
	if n.Examples == 0 {
		return nil, nil, fmt.Errorf("sft: no training example has a response token within the context of %d tokens", T)
	}
	if len(held) > 0 {
		var vn Counts
		if val, vn, err = Encode(enc, held, T, chat.Options{}, cfg.Overlong); err != nil {
			return nil, nil, err
		}
		ev.Metric(0, "val_examples", float64(vn.Examples))
	}
	return train, val, nil
}

// writeChatFiles adds to the checkpoint in dir what the Hugging Face
// ecosystem reads the template from, and template.json for llmflow.
func writeChatFiles(dir string, tok *tokenizer.Tokenizer, tmpl *chat.Template, maxLen int) error {
	if err := chat.WriteHFFiles(dir, tok, tmpl, maxLen); err != nil {
		return err
	}
	return tmpl.Save(dir)
}

// missingTokens lists the special tokens tmpl needs (and the padding token)
// that tok lacks.
func missingTokens(tok *tokenizer.Tokenizer, tmpl *chat.Template) []string {
	var out []string
	for _, s := range append(tmpl.SpecialTokens(), chat.TokenPad) {
		if _, ok := tok.SpecialID(s); !ok {
			out = append(out, s)
		}
	}
	return out
}
