package align

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	mpeft "github.com/llmflow/llmflow/model/peft"
)

// Policy is a checkpoint loaded for alignment, optionally with a LoRA
// adapter attached as its trainable part, and what renders pairs for it.
type Policy struct {
	Model     *model.Model
	Tokenizer *tokenizer.Tokenizer
	Template  *chat.Template
	Encoder   *chat.Encoder
	IDs       chat.IDs
	// Dir is the checkpoint directory (its tokenizer and template files).
	Dir string
	// Adapter is the LoRA adapter attached, nil without one; Base is the
	// checkpoint it applies to.
	Adapter *mpeft.Adapter
	Base    mpeft.Base
}

// LoadPolicy loads the checkpoint in dir, which must carry a chat template
// (as the sft stage writes it), and with adapterDir non-empty applies that
// LoRA adapter to it and freezes the base.
func LoadPolicy(dir, adapterDir string) (*Policy, error) {
	m, err := model.LoadCheckpoint(dir)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.Load(filepath.Join(dir, model.TokenizerFile))
	if err != nil {
		return nil, fmt.Errorf("the model input needs its tokenizer: %w", err)
	}
	tmpl, err := chat.ReadHFTemplate(dir)
	if errors.Is(err, chat.ErrNoTemplate) {
		return nil, fmt.Errorf("checkpoint %s has no chat template to render preference pairs with; fine-tune it with an sft stage first", dir)
	}
	if err != nil {
		return nil, err
	}
	enc, err := chat.NewEncoder(tmpl, tok)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	ids, err := tmpl.Resolve(tok)
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() > m.Config.VocabSize {
		return nil, fmt.Errorf("%s has %d ids, more than the model's vocabulary of %d", filepath.Join(dir, model.TokenizerFile), tok.VocabSize(), m.Config.VocabSize)
	}
	p := &Policy{Model: m, Tokenizer: tok, Template: tmpl, Encoder: enc, IDs: ids, Dir: dir}
	if adapterDir == "" {
		return p, nil
	}
	if p.Adapter, err = mpeft.Load(adapterDir); err != nil {
		return nil, err
	}
	if p.Adapter.Type != mpeft.TypeLoRA {
		return nil, fmt.Errorf("%s holds a %s adapter; the alignment stages train LoRA adapters", filepath.Join(adapterDir, mpeft.ConfigFile), p.Adapter.Type)
	}
	if p.Base, err = mpeft.BaseOf(dir); err != nil {
		return nil, err
	}
	if err := p.Adapter.Apply(m, p.Base); err != nil {
		return nil, err
	}
	m.FreezeBase()
	// Not the whole path: the adapter's bytes must not depend on where the
	// store is.
	p.Base.NameOrPath = filepath.Base(dir)
	return p, nil
}

// Reference runs fn with the model computing the reference policy: the
// base with the adapter bypassed, or the checkpoint itself (before any
// training step) without one.
func (p *Policy) Reference(fn func() error) error {
	if p.Adapter == nil {
		return fn()
	}
	p.Model.BypassLoRA(true)
	defer p.Model.BypassLoRA(false)
	return fn()
}

// ReferenceID identifies the reference model by the digest of its weights:
// the checkpoint's, which is also the base of an adapter.
func (p *Policy) ReferenceID() (string, error) {
	return artifact.FileDigest(filepath.Join(p.Dir, model.WeightsFile))
}

// SaveAdapter writes the trained LoRA adapter, with the checkpoint's
// tokenizer and template files, to dir.
func (p *Policy) SaveAdapter(dir string) error {
	if err := mpeft.Save(dir, p.Model, p.Base); err != nil {
		return err
	}
	return chat.CopyFiles(p.Dir, dir)
}
