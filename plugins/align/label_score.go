package align

import (
	"fmt"
	"path/filepath"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// scoreItem is an answer to a prompt conversation.
type scoreItem struct {
	Prompt []chat.Message
	Answer string
}

// scorer scores answers, higher for better; an item's score does not
// depend on the other items or on batch, the rows evaluated together.
type scorer interface {
	Score(items []scoreItem, batch int) ([]float64, error)
}

// rewardScorer reads a reward model's score at the last token of the
// prompt and answer rendered through the model's chat template, as the
// reward stage trained it.
type rewardScorer struct {
	m   *model.Model
	h   *model.Head
	enc *chat.Encoder
}

func loadRewardScorer(dir string) (*rewardScorer, error) {
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
	return &rewardScorer{m: m, h: h, enc: enc}, nil
}

// Score implements scorer. A sequence longer than the model's context
// keeps its last tokens (the score is read at the end).
func (r *rewardScorer) Score(items []scoreItem, batch int) ([]float64, error) {
	P := r.m.Config.NPositions
	seqs := make([][]int32, len(items))
	for i, it := range items {
		conv := append(append([]chat.Message(nil), it.Prompt...), chat.Message{Role: chat.RoleAssistant, Content: it.Answer})
		ids, _, err := r.enc.Encode(conv, chat.Options{})
		if err != nil {
			return nil, fmt.Errorf("answer %d: %v", i, err)
		}
		seqs[i] = ids[max(0, len(ids)-P):]
	}
	s, err := model.Scores(r.m, r.h, seqs, batch)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out, nil
}
