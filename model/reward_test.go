package model

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/artifact/safetensors"
)

// rewardModel is smallModel with large weights (scores of several units)
// and a score head.
func rewardModel(t *testing.T) (*Model, *Head) {
	t.Helper()
	m := smallModel(t, 21)
	r := NewRNG(22)
	for _, ts := range m.Tensors {
		if ts.Kind == "linear" || ts.Kind == "embedding" {
			for i := ts.Off; i < ts.Off+ts.Size; i++ {
				m.Params[i] = float32(r.Normal() * 0.3)
			}
		}
	}
	h, err := m.AttachScore(3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range h.Weight() {
		h.Weight()[i] = float32(r.Normal())
	}
	return m, h
}

func TestRewardRoundTrip(t *testing.T) {
	m, h := rewardModel(t)
	side := t.TempDir()
	os.WriteFile(filepath.Join(side, TokenizerFile), []byte(`{"model":{}}`), 0o644)
	os.WriteFile(filepath.Join(side, "template.json"), []byte(`{}`), 0o644)
	dir := t.TempDir()
	if err := SaveReward(dir, m, h, 36, side); err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(cfg["architectures"]) != "[GPT2ForSequenceClassification]" || cfg["num_labels"] != 1.0 || cfg["pad_token_id"] != 36.0 {
		t.Fatalf("config.json lacks the classifier fields: %s", b)
	}
	f, err := safetensors.ReadFile(filepath.Join(dir, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"transformer.h.0.attn.c_attn.weight", "transformer.wte.weight", "score.weight"} {
		if _, _, err := f.Float32(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{TokenizerFile, "template.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("side file not copied: %v", err)
		}
	}
	m2, h2, info, err := LoadReward(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.PadTokenID != 36 {
		t.Fatalf("pad id %d, want 36", info.PadTokenID)
	}
	seqs := [][]int32{{1, 2, 3}, {4, 5, 6, 7, 8, 9}, {10}}
	want, err := Scores(m, h, seqs, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Scores(m2, h2, seqs, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("score %d: %v after loading, %v before", i, got[i], want[i])
		}
	}
	// A reward checkpoint also loads as a plain GPT-2 (the score left out),
	// as a value model or a resumed run reads it.
	if _, err := LoadCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	plain := t.TempDir()
	SaveCheckpoint(plain, m, "")
	if _, _, _, err := LoadReward(plain); err == nil || !strings.Contains(err.Error(), "GPT2ForSequenceClassification") {
		t.Fatalf("loading a language model as a reward model: %v", err)
	}
}

// TestScoresIndependentOfBatch: a sequence's score is the same alone or
// padded beside longer ones.
func TestScoresIndependentOfBatch(t *testing.T) {
	m, h := rewardModel(t)
	seqs := [][]int32{{1, 2, 3}, {4, 5, 6, 7, 8, 9, 10, 11}, {12, 13}}
	all, err := Scores(m, h, seqs, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range seqs {
		one, err := Scores(m, h, [][]int32{s}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if one[0] != all[i] {
			t.Errorf("sequence %d: %v alone, %v in a batch", i, one[0], all[i])
		}
	}
	if _, err := Scores(m, h, [][]int32{{}}, 1); err == nil {
		t.Fatal("scored an empty sequence")
	}
}

// TestGradRewardBradleyTerry checks the gradient of the Bradley-Terry loss
// −log σ(r_chosen − r_rejected) of two pairs through the score head and the
// transformer.
func TestGradRewardBradleyTerry(t *testing.T) {
	cfg := Config{VocabSize: 11, NPositions: 6, NLayer: 2, NHead: 2, NEmbd: 8, LayerNormEps: 1e-5}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRNG(3)
	for i := range m.Params {
		m.Params[i] = float32(r.Normal() * 0.3)
	}
	h, err := m.AttachScore(4)
	if err != nil {
		t.Fatal(err)
	}
	for i := range h.Weight() {
		h.Weight()[i] = float32(r.Normal() * 0.5)
	}
	// Rows: chosen 0, rejected 0, chosen 1, rejected 1; scored at the last
	// real token of each.
	b := Batch{B: 4, T: 6, Inputs: []int32{1, 2, 3, 4, 5, 0, 1, 2, 3, 6, 0, 0, 7, 8, 9, 10, 1, 2, 7, 8, 4, 0, 0, 0}}
	rows := []int{4, 6 + 3, 12 + 5, 18 + 2}
	loss := func() float64 {
		if _, _, err := m.ForwardBatch(b); err != nil {
			t.Fatal(err)
		}
		s := h.Forward(rows)
		var l float64
		for p := 0; p < 2; p++ {
			l += -math.Log(sigmoid(float64(s[2*p]) - float64(s[2*p+1])))
		}
		return l
	}
	loss()
	s := h.Forward(rows)
	dOut := make([]float32, 4)
	for p := 0; p < 2; p++ {
		g := sigmoid(float64(s[2*p])-float64(s[2*p+1])) - 1 // dL/dr_chosen
		dOut[2*p], dOut[2*p+1] = float32(g), float32(-g)
	}
	m.ZeroGrad()
	dh := make([]float32, b.B*b.T*cfg.NEmbd)
	h.Backward(rows, dOut, dh)
	if err := m.BackwardHidden(1, dh); err != nil {
		t.Fatal(err)
	}
	grads := append([]float32(nil), m.Grads...)
	for _, ts := range m.Tensors {
		checkGrad(t, ts.Name, m.Params[ts.Off:ts.Off+ts.Size], grads[ts.Off:ts.Off+ts.Size], loss)
	}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// TestTorchReferenceReward has tools/torchref/reward_check.py compute, from
// the files alone, the reward scores (right padding, read at the last
// non-padding token as transformers does) and the log-probs of masked
// response tokens, and compares them with ours.
func TestTorchReferenceReward(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s with torch is required in CI (apt-get install python3-torch): %v", python, err)
		}
		t.Skipf("%s cannot import torch (%v); install python3-torch", python, err)
	}
	m, h := rewardModel(t)
	dir := t.TempDir()
	const pad = 36
	if err := SaveReward(dir, m, h, pad, ""); err != nil {
		t.Fatal(err)
	}
	r := NewRNG(9)
	var seqs [][]int32
	var masks [][]uint8
	var lines []string
	for _, n := range []int{5, 16, 9, 2} {
		s, mk := make([]int32, n), make([]uint8, n)
		var ids, ms []string
		for i := range s {
			s[i] = int32(r.Intn(pad)) // never the padding id
			if i >= n/2 {
				mk[i] = 1
			}
			ids, ms = append(ids, fmt.Sprint(s[i])), append(ms, fmt.Sprint(mk[i]))
		}
		seqs, masks = append(seqs, s), append(masks, mk)
		lines = append(lines, strings.Join(ids, " ")+" | "+strings.Join(ms, " "))
	}
	tokens := filepath.Join(t.TempDir(), "tokens.txt")
	os.WriteFile(tokens, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	cmd := exec.Command(python, filepath.Join(repoRoot(t), "tools", "torchref", "reward_check.py"), dir, tokens)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reward_check.py: %v", err)
	}
	var ref struct{ Scores, Logps []float64 }
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatal(err)
	}
	got, err := Scores(m, h, seqs, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(ref.Scores) != len(seqs) || len(ref.Logps) != len(seqs) {
		t.Fatalf("reference gave %d scores and %d log-probs for %d sequences", len(ref.Scores), len(ref.Logps), len(seqs))
	}
	for i, s := range seqs {
		if d := math.Abs(float64(got[i]) - ref.Scores[i]); d > 1e-4 {
			t.Errorf("sequence %d: score %v, PyTorch %v (|diff| %.3g > 1e-4)", i, got[i], ref.Scores[i], d)
		}
		T := len(s)
		targets := make([]int32, T)
		for j := range targets {
			targets[j] = -1
			if j+1 < T && masks[i][j+1] == 1 {
				targets[j] = s[j+1]
			}
		}
		sum, _, err := m.Forward(s, targets, nil, 1, T)
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(-sum - ref.Logps[i]); d > 1e-4*max(1, math.Abs(ref.Logps[i])) {
			t.Errorf("sequence %d: log-prob %v, PyTorch %v (|diff| %.3g)", i, -sum, ref.Logps[i], d)
		}
		t.Logf("sequence %d (%d tokens): score %.5f vs %.5f, log-prob %.5f vs %.5f", i, T, got[i], ref.Scores[i], -sum, ref.Logps[i])
	}
}

// FuzzLoadReward feeds arbitrary config.json files beside valid reward
// weights: loading may fail but must not panic.
func FuzzLoadReward(f *testing.F) {
	m, err := New(Config{VocabSize: 7, NPositions: 4, NLayer: 1, NHead: 2, NEmbd: 4, LayerNormEps: 1e-5})
	if err != nil {
		f.Fatal(err)
	}
	h, err := m.AttachScore(1)
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	if err := SaveReward(dir, m, h, 6, ""); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, ConfigFile))
	f.Add(good)
	f.Add([]byte(`{"architectures":["GPT2ForSequenceClassification"],"id2label":{},"n_layer":1,"n_head":2,"n_embd":4,"n_positions":4,"vocab_size":7}`))
	f.Add([]byte(`{"architectures":["GPT2ForSequenceClassification"],"num_labels":1,"n_layer":1,"n_head":2,"n_embd":8,"n_positions":4,"vocab_size":7}`))
	w, _ := os.ReadFile(filepath.Join(dir, WeightsFile))
	f.Fuzz(func(t *testing.T, cfg []byte) {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, WeightsFile), w, 0o644)
		os.WriteFile(filepath.Join(d, ConfigFile), cfg, 0o644)
		LoadReward(d)
	})
}
