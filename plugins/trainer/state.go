package trainer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/llmflow/llmflow/model"
)

// state is the resumable position of a run, stored in training_state.json.
type state struct {
	Step       int    `json:"step"`
	Tokens     int64  `json:"tokens"`
	Epoch      int    `json:"epoch"`
	Cursor     int    `json:"cursor"`
	RNG        uint64 `json:"rng_state"`
	ConfigHash string `json:"config_hash"`
}

type savedState struct {
	state
	// ElapsedNS is training time so far, kept only under a time budget (the
	// one case that needs it) so step-bounded runs save byte-identical files.
	ElapsedNS int64 `json:"elapsed_ns,omitempty"`
}

// stateHash identifies what a training state belongs to: the stage's
// settings, with cfg in place of the Config they embed and its limits
// cleared (they may change between runs), and the model's shape. Resuming
// under anything else is refused.
func stateHash(settings any, cfg Config, mc model.Config) string {
	if settings == nil {
		settings = cfg
	}
	v := reflect.New(reflect.TypeOf(settings)).Elem()
	v.Set(reflect.ValueOf(settings))
	setConfig(v, cfg.withoutLimits())
	b, _ := json.Marshal(struct {
		C  any
		MC model.Config
	}{v.Interface(), mc})
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8])
}

// setConfig sets v to c when v is a Config, else every Config embedded in v.
func setConfig(v reflect.Value, c Config) {
	if v.Type() == reflect.TypeFor[Config]() {
		v.Set(reflect.ValueOf(c))
		return
	}
	if v.Kind() != reflect.Struct {
		return
	}
	for i := range v.NumField() {
		if f := v.Type().Field(i); f.Anonymous && f.IsExported() {
			setConfig(v.Field(i), c)
		}
	}
}

// save writes the checkpoint and training state into a sibling directory and
// swaps it in, so an interruption leaves either the old or the new
// checkpoint, never a mix.
func (t *trainer) save(elapsed time.Duration) error {
	tmp := t.dir + ".saving"
	os.RemoveAll(tmp)
	if err := model.SaveCheckpointAs(tmp, t.m, t.spec.TokenizerJSON, t.saveDType); err != nil {
		return err
	}
	if t.saveDType == model.BF16 {
		if err := model.SaveMasterWeights(tmp, t.m); err != nil {
			return err
		}
	}
	pos := t.spec.Train.Position()
	t.st.Epoch, t.st.Cursor = pos.Epoch, pos.Cursor
	saved := savedState{state: t.st}
	if t.budget > 0 {
		saved.ElapsedNS = int64(t.elapsed + elapsed)
	}
	if err := model.SaveTrainingState(tmp, t.opt, saved); err != nil {
		return err
	}
	if t.m.HasAttached() {
		if err := model.SaveAttachedState(tmp, t.m); err != nil {
			return err
		}
	}
	old := t.dir + ".old"
	os.RemoveAll(old)
	if _, err := os.Stat(t.dir); err == nil {
		if err := os.Rename(t.dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, t.dir); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// restore loads weights (attached ones too), optimizer moments and the data
// position from dir.
func (t *trainer) restore(dir string) error {
	m, err := model.LoadCheckpoint(dir)
	if err != nil {
		return err
	}
	if m.Config != t.m.Config {
		return fmt.Errorf("resume %s: checkpoint shape %+v differs from the configured %+v", dir, m.Config, t.m.Config)
	}
	// The checkpoint holds the base tensors; attached ones come from their
	// own file.
	copy(t.m.Params, m.Params)
	t.m.ParamsChanged()
	if _, err := os.Stat(filepath.Join(dir, model.MasterFile)); err == nil {
		// The weights were saved in bf16: continue from the fp32 values.
		if err := model.LoadMasterWeights(dir, t.m); err != nil {
			return err
		}
	}
	if t.m.HasAttached() {
		if err := model.LoadAttachedState(dir, t.m); err != nil {
			return err
		}
	}
	var s savedState
	if err := model.LoadTrainingState(dir, t.opt, &s); err != nil {
		return err
	}
	if s.ConfigHash != t.st.ConfigHash {
		return fmt.Errorf("resume %s: %s was written by a run with a different config (hash %s, now %s)",
			dir, filepath.Join(dir, model.StateMetaFile), s.ConfigHash, t.st.ConfigHash)
	}
	t.st = s.state
	t.elapsed = time.Duration(s.ElapsedNS)
	t.spec.Train.Seek(Position{Epoch: s.Epoch, Cursor: s.Cursor})
	return nil
}
