package pretrain

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/llmflow/llmflow/model"
)

type savedState struct {
	state
	// ElapsedNS is training time so far, kept only under a time budget (the
	// one case that needs it) so step-bounded runs save byte-identical files.
	ElapsedNS int64 `json:"elapsed_ns,omitempty"`
}

// save writes the checkpoint and training state into a sibling directory and
// swaps it in, so an interruption leaves either the old or the new
// checkpoint, never a mix.
func (t *trainer) save(dir string, elapsed time.Duration) error {
	tmp := dir + ".saving"
	os.RemoveAll(tmp)
	if err := model.SaveCheckpoint(tmp, t.m, t.in.TokenizerJSON); err != nil {
		return err
	}
	saved := savedState{state: t.st}
	if t.budget > 0 {
		saved.ElapsedNS = int64(t.elapsed + elapsed)
	}
	if err := model.SaveTrainingState(tmp, t.opt, saved); err != nil {
		return err
	}
	old := dir + ".old"
	os.RemoveAll(old)
	if _, err := os.Stat(dir); err == nil {
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// restore loads weights, optimizer moments and the data position from dir.
func (t *trainer) restore(dir string) error {
	m, err := model.LoadCheckpoint(dir)
	if err != nil {
		return err
	}
	if m.Config != t.m.Config {
		return fmt.Errorf("resume %s: checkpoint shape %+v differs from the configured %+v", dir, m.Config, t.m.Config)
	}
	copy(t.m.Params, m.Params)
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
	return nil
}
