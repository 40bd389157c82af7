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
	base, err := BaseOf(baseDir)
	if err != nil {
		return nil, nil, err
	}
	if err := a.Apply(m, base); err != nil {
		return nil, nil, err
	}
	merged, err := m.MergeLoRA()
	return a, merged, err
}
