package align

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/artifact/safetensors"
	"github.com/llmflow/llmflow/model"
)

// ValueHeadFile holds the value head beside the policy's checkpoint, with
// TRL's tensor names, so the checkpoint itself stays a GPT2LMHeadModel.
const ValueHeadFile = "value_head.safetensors"

// reportStateFile keeps the report's rows with the saved state, so a
// resumed run writes the report an uninterrupted one does.
const reportStateFile = "ppo_report.jsonl"

// ppoState is the run's position, saved in training_state.json beside the
// optimizer moments (model.SaveTrainingState). The random streams are
// derived from the seed and the step, so the step is their whole state.
type ppoState struct {
	Step       int      `json:"step"`
	KLCoef     float64  `json:"kl_coef"`
	ConfigHash string   `json:"config_hash"`
	Before     *heldOut `json:"eval_before,omitempty"`
}

// configHash ties a saved state to the settings that shaped it and the
// policy's shape.
func (p *ppo) configHash() string {
	lora, _ := p.policy.AttachedLoRA()
	b, _ := json.Marshal(struct {
		C    PPOConfig
		MC   model.Config
		LoRA model.LoRA
	}{p.cfg.resumeKey(), p.policy.Config, lora})
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8])
}

// save writes the policy checkpoint, its value head, the optimizer, the
// run's position and the report rows into a sibling of dir and swaps it in,
// so an interruption leaves the old or the new state, never a mix. extra
// adds what the checkpoint needs beyond the weights (tokenizer and chat
// files).
func (p *ppo) save(dir string, extra func(dir string) error) error {
	tmp := dir + ".saving"
	os.RemoveAll(tmp)
	if err := model.SaveCheckpoint(tmp, p.policy, ""); err != nil {
		return err
	}
	if err := saveValueHead(tmp, p.value); err != nil {
		return err
	}
	st := ppoState{Step: p.step, KLCoef: p.kl.Coef, ConfigHash: p.configHash(), Before: p.before}
	if err := model.SaveTrainingState(tmp, p.opt, st); err != nil {
		return err
	}
	if err := model.SaveAttachedState(tmp, p.policy); err != nil {
		return err
	}
	if err := writeReportRows(filepath.Join(tmp, reportStateFile), p.report); err != nil {
		return err
	}
	if extra != nil {
		if err := extra(tmp); err != nil {
			return err
		}
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

// restore continues from the state saved in dir: weights, value head,
// optimizer moments, KL coefficient, step and report rows.
func (p *ppo) restore(dir string) error {
	m, err := model.LoadCheckpoint(dir)
	if err != nil {
		return err
	}
	if m.Config != p.policy.Config {
		return fmt.Errorf("resume %s: checkpoint shape %+v differs from the policy's %+v", dir, m.Config, p.policy.Config)
	}
	copy(p.policy.Params, m.Params)
	p.policy.ParamsChanged()
	if err := model.LoadAttachedState(dir, p.policy); err != nil {
		return err
	}
	var st ppoState
	if err := model.LoadTrainingState(dir, p.opt, &st); err != nil {
		return err
	}
	if want := p.configHash(); st.ConfigHash != want {
		return fmt.Errorf("resume %s: %s was written by a run with a different config (hash %s, now %s); remove it to start over",
			dir, filepath.Join(dir, model.StateMetaFile), st.ConfigHash, want)
	}
	p.step, p.kl.Coef, p.before = st.Step, st.KLCoef, st.Before
	p.report, err = readReportRows(filepath.Join(dir, reportStateFile))
	return err
}

// saveValueHead writes h as v_head.summary.weight [1, n_embd] and
// v_head.summary.bias [1].
func saveValueHead(dir string, h *model.Head) error {
	w := h.Weight()
	ts := []safetensors.Tensor{
		safetensors.Float32Tensor(ValueHead+".bias", []int64{1}, h.Bias()),
		safetensors.Float32Tensor(ValueHead+".weight", []int64{1, int64(len(w))}, w),
	}
	return safetensors.WriteFile(filepath.Join(dir, ValueHeadFile), ts, map[string]string{"format": "pt"})
}

// reportRow is one rollout in the report.
type reportRow struct {
	Step     int     `json:"step"`
	Prompt   string  `json:"prompt"`
	Response string  `json:"response"`
	Score    float64 `json:"score"`
	KL       float64 `json:"kl"`
}

func writeReportRows(path string, rows []reportRow) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return artifact.WriteFileAtomic(path, b.Bytes())
}

func readReportRows(path string) ([]reportRow, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseReportRows(f, path)
}

// parseReportRows reads JSON lines of report rows; errors name the line.
func parseReportRows(r io.Reader, name string) ([]reportRow, error) {
	var rows []reportRow
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<24)
	for line := 1; sc.Scan(); line++ {
		var r reportRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}
