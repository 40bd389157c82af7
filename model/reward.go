package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/llmflow/llmflow/artifact/safetensors"
)

// A reward model is the transformer with a scalar head "score" (no bias)
// read at the last token of each sequence, saved in the Hugging Face
// GPT2ForSequenceClassification layout: transformers computes the same
// score from the files.
const (
	ScoreHead          = "score"
	scoreWeight        = ScoreHead + ".weight"
	rewardArchitecture = "GPT2ForSequenceClassification"
	// transformers' base_model_prefix for GPT-2 models with a task head.
	transformerPrefix = "transformer."
)

// rewardSideFiles are the files of a checkpoint that describe its tokens
// and chat template; a reward model carries them from the policy it was
// trained from (generation_config.json does not apply to a classifier).
var rewardSideFiles = []string{TokenizerFile, "tokenizer_config.json", "special_tokens_map.json", "template.json", "chat_template.jinja"}

// AttachScore attaches a reward head "score" initialised as transformers
// does (normal, std initializer_range 0.02) from seed.
func (m *Model) AttachScore(seed uint64) (*Head, error) {
	return m.AttachHead(ScoreHead, false, defaultInitRange, seed)
}

// SaveReward writes the reward model m with head h into dir (created if
// needed): model.safetensors with the transformer's tensors under
// "transformer." and score.weight [1, n_embd], config.json naming
// GPT2ForSequenceClassification with num_labels 1 and padID as
// pad_token_id (transformers reads the score at the last token that is not
// padID), and the tokenizer and chat template files of the checkpoint in
// sideDir, where present (empty skips them).
func SaveReward(dir string, m *Model, h *Head, padID int, sideDir string) error {
	if h == nil || h.m != m || h.b >= 0 {
		return fmt.Errorf("model: a reward model needs a score head without bias attached to it")
	}
	if padID < 0 || padID >= m.Config.VocabSize {
		return fmt.Errorf("model: pad_token_id %d outside the vocabulary of %d", padID, m.Config.VocabSize)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ts := append(baseTensors(m, transformerPrefix, FP32),
		safetensors.Float32Tensor(scoreWeight, []int64{1, int64(m.Config.NEmbd)}, h.Weight()))
	if err := safetensors.WriteFile(filepath.Join(dir, WeightsFile), ts, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	hc := hfConfigOf(m.Config, FP32)
	hc.Architectures = []string{rewardArchitecture}
	hc.ID2Label, hc.Label2ID = map[string]string{"0": "LABEL_0"}, map[string]int{"LABEL_0": 0}
	hc.NumLabels, hc.PadTokenID = 1, &padID
	if err := writeHFConfig(dir, hc); err != nil {
		return err
	}
	if sideDir == "" {
		return nil
	}
	for _, name := range rewardSideFiles {
		err := copyFileAtomic(filepath.Join(dir, name), filepath.Join(sideDir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// RewardInfo is what config.json says about a reward model beyond its
// shape.
type RewardInfo struct {
	PadTokenID int
}

// LoadReward reads a reward model written by SaveReward (or by transformers'
// GPT2ForSequenceClassification with one label) from dir.
func LoadReward(dir string) (*Model, *Head, RewardInfo, error) {
	path := filepath.Join(dir, ConfigFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, RewardInfo{}, err
	}
	var hc hfConfig
	if err := json.Unmarshal(b, &hc); err != nil {
		return nil, nil, RewardInfo{}, fmt.Errorf("%s: %v", path, err)
	}
	if len(hc.Architectures) != 1 || hc.Architectures[0] != rewardArchitecture {
		return nil, nil, RewardInfo{}, fmt.Errorf("%s: architectures is %q, a reward model has [%q]; train one with a reward stage",
			path, hc.Architectures, rewardArchitecture)
	}
	labels := hc.NumLabels
	if hc.ID2Label != nil {
		labels = len(hc.ID2Label)
	}
	if labels != 1 {
		return nil, nil, RewardInfo{}, fmt.Errorf("%s: a reward model has one label, this one has %d", path, labels)
	}
	m, err := LoadCheckpoint(dir)
	if err != nil {
		return nil, nil, RewardInfo{}, err
	}
	info := RewardInfo{PadTokenID: m.Config.EOSTokenID}
	if hc.PadTokenID != nil {
		info.PadTokenID = *hc.PadTokenID
	}
	wpath := filepath.Join(dir, WeightsFile)
	f, err := safetensors.ReadFile(wpath)
	if err != nil {
		return nil, nil, RewardInfo{}, err
	}
	v, shape, err := f.Float32(scoreWeight)
	if err != nil {
		return nil, nil, RewardInfo{}, fmt.Errorf("%s: %v (a reward model holds %s)", wpath, err, scoreWeight)
	}
	if !sameShape(shape, []int{1, m.Config.NEmbd}) {
		return nil, nil, RewardInfo{}, fmt.Errorf("%s: %s has shape %v, want [1 %d]", wpath, scoreWeight, shape, m.Config.NEmbd)
	}
	h, err := m.AttachHead(ScoreHead, false, 0, 0)
	if err != nil {
		return nil, nil, RewardInfo{}, err
	}
	copy(h.Weight(), v)
	return m, h, info, nil
}

// Scores runs the model on each sequence alone (batch rows at a time, right
// padded) and returns h's output at its last token: a reward model's
// scores. A row's score does not depend on the other rows of its batch.
func Scores(m *Model, h *Head, seqs [][]int32, batch int) ([]float32, error) {
	out := make([]float32, 0, len(seqs))
	batch = max(batch, 1)
	for lo := 0; lo < len(seqs); lo += batch {
		part := seqs[lo:min(lo+batch, len(seqs))]
		T := 0
		for i, s := range part {
			if len(s) == 0 || len(s) > m.Config.NPositions {
				return nil, fmt.Errorf("model: sequence %d has %d tokens, want 1..n_positions (%d)", lo+i, len(s), m.Config.NPositions)
			}
			T = max(T, len(s))
		}
		inputs, rows := make([]int32, len(part)*T), make([]int, len(part))
		for i, s := range part {
			copy(inputs[i*T:], s)
			rows[i] = i*T + len(s) - 1
		}
		if _, _, err := m.ForwardBatch(Batch{B: len(part), T: T, Inputs: inputs, HeadOnTargets: true}); err != nil {
			return nil, err
		}
		out = append(out, h.Forward(rows)...)
	}
	return out, nil
}
