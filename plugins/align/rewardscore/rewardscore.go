// Package rewardscore scores answers with a reward model the way the reward
// stage trained it: the prompt conversation and the answer rendered through
// the reward model's chat template, the score read at the last token. The
// label stage ranks sampled answers with it and the eval stage scores
// generated ones, so both read the same number for the same answer.
package rewardscore

import (
	"fmt"
	"path/filepath"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// Item is an answer to a prompt conversation.
type Item struct {
	Prompt []chat.Message
	Answer string
}

// Scorer reads a reward model's scores.
type Scorer struct {
	m   *model.Model
	h   *model.Head
	enc *chat.Encoder
}

// Load reads the reward checkpoint in dir with its tokenizer and chat
// template.
func Load(dir string) (*Scorer, error) {
	m, h, _, err := model.LoadReward(dir)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.Load(filepath.Join(dir, model.TokenizerFile))
	if err != nil {
		return nil, fmt.Errorf("the reward model needs its tokenizer: %w", err)
	}
	tmpl, err := chat.ReadHFTemplate(dir)
	if err != nil {
		return nil, fmt.Errorf("reward model %s: %w", dir, err)
	}
	enc, err := chat.NewEncoder(tmpl, tok)
	if err != nil {
		return nil, fmt.Errorf("reward model %s: %w", dir, err)
	}
	return &Scorer{m: m, h: h, enc: enc}, nil
}

// Encode renders an item as the reward model reads it. A sequence longer
// than the model's context keeps its last tokens (the score is read at the
// end).
func (s *Scorer) Encode(it Item) ([]int32, error) {
	conv := append(append([]chat.Message(nil), it.Prompt...), chat.Message{Role: chat.RoleAssistant, Content: it.Answer})
	ids, _, err := s.enc.Encode(conv, chat.Options{})
	if err != nil {
		return nil, err
	}
	return ids[max(0, len(ids)-s.m.Config.NPositions):], nil
}

// Score returns each item's score, higher for better, batch rows evaluated
// together; a score depends neither on the other items nor on batch.
func (s *Scorer) Score(items []Item, batch int) ([]float64, error) {
	seqs := make([][]int32, len(items))
	for i, it := range items {
		ids, err := s.Encode(it)
		if err != nil {
			return nil, fmt.Errorf("answer %d: %v", i, err)
		}
		seqs[i] = ids
	}
	sc, err := model.Scores(s.m, s.h, seqs, batch)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(sc))
	for i, v := range sc {
		out[i] = float64(v)
	}
	return out, nil
}
