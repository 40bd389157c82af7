package peft

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/llmflow/llmflow/model"
)

// ErrNotMergeable is wrapped by Merge's error for an adapter that is not
// LoRA.
var ErrNotMergeable = errors.New("only LoRA folds into the base weights")

// Merge applies the adapter in adapterDir to m, the model of the
// checkpoint in baseDir (its digest must be the one the adapter records),
// and returns a model without attachments whose weights hold the LoRA
// update. Prefixes and bottleneck adapters add computation a plain GPT-2
// cannot hold and are refused (ErrNotMergeable). m is modified either way.
func Merge(m *model.Model, baseDir, adapterDir string) (*Adapter, *model.Model, error) {
	a, err := Load(adapterDir)
	if err != nil {
		return nil, nil, err
	}
	if a.Type != TypeLoRA {
		return nil, nil, fmt.Errorf("%s holds a %s adapter; %w (a prefix or a bottleneck adapter adds computation a GPT-2 checkpoint cannot hold)",
			filepath.Join(adapterDir, ConfigFile), a.Type, ErrNotMergeable)
	}
	if err := a.applyTo(m, baseDir); err != nil {
		return nil, nil, err
	}
	merged, err := m.MergeLoRA()
	return a, merged, err
}

// ApplyTo returns m, the model of the checkpoint in baseDir, with the
// adapter in adapterDir for inference: a LoRA update folded into the
// weights (a plain model decodes fastest), a prefix or bottleneck adapter
// attached. A base other than the adapter's is refused; m is modified
// either way.
func ApplyTo(m *model.Model, baseDir, adapterDir string) (*Adapter, *model.Model, error) {
	a, err := Load(adapterDir)
	if err != nil {
		return nil, nil, err
	}
	if err := a.applyTo(m, baseDir); err != nil {
		return nil, nil, err
	}
	if a.Type != TypeLoRA {
		return a, m, nil
	}
	merged, err := m.MergeLoRA()
	return a, merged, err
}

// applyTo attaches a to m, the model of the checkpoint in baseDir.
func (a *Adapter) applyTo(m *model.Model, baseDir string) error {
	base, err := BaseOf(baseDir)
	if err != nil {
		return err
	}
	return a.Apply(m, base)
}
