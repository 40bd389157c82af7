package model

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/llmflow/llmflow/artifact/safetensors"
)

// AttachedStateFile holds, beside a training checkpoint, the raw values of
// the tensors attached for parameter-efficient tuning and the dropout RNG:
// what SaveCheckpoint leaves out and a resumed run needs to continue
// bit-identically. (An adapter file cannot serve: a projected prefix is
// saved there only as its final prefixes.)
const AttachedStateFile = "attached_state.safetensors"

const dropoutRNGKey = "dropout_rng"

// HasAttached reports whether m has tensors attached (Tensor.Extra).
func (m *Model) HasAttached() bool {
	for _, t := range m.Tensors {
		if t.Extra {
			return true
		}
	}
	return false
}

// SaveAttachedState writes m's attached tensors and dropout RNG state to
// dir/attached_state.safetensors.
func SaveAttachedState(dir string, m *Model) error {
	var ts []safetensors.Tensor
	for _, t := range m.Tensors {
		if t.Extra {
			ts = append(ts, safetensors.Float32Tensor(t.Name, []int64{int64(t.Size)}, m.Params[t.Off:t.Off+t.Size]))
		}
	}
	meta := map[string]string{"format": "pt", dropoutRNGKey: strconv.FormatUint(m.DropoutRNG.State, 10)}
	return safetensors.WriteFile(filepath.Join(dir, AttachedStateFile), ts, meta)
}

// LoadAttachedState restores what SaveAttachedState wrote into m, which
// must have the same tensors attached.
func LoadAttachedState(dir string, m *Model) error {
	path := filepath.Join(dir, AttachedStateFile)
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return err
	}
	n := 0
	for _, t := range m.Tensors {
		if !t.Extra {
			continue
		}
		v, _, err := f.Float32(t.Name)
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if len(v) != t.Size {
			return fmt.Errorf("%s: tensor %q holds %d values, the model needs %d", path, t.Name, len(v), t.Size)
		}
		copy(m.Params[t.Off:t.Off+t.Size], v)
		m.ParamsChanged()
		n++
	}
	if n != len(f.Tensors) {
		return fmt.Errorf("%s: holds %d tensors, the model has %d attached", path, len(f.Tensors), n)
	}
	s, err := strconv.ParseUint(f.Metadata[dropoutRNGKey], 10, 64)
	if err != nil {
		return fmt.Errorf("%s: metadata %q: %v", path, dropoutRNGKey, err)
	}
	m.DropoutRNG.State = s
	return nil
}
