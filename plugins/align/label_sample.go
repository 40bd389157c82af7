package align

import (
	"context"
	"fmt"
	"strings"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/preference"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/sft"
)

// labelPrompts are the distinct prompt conversations of the prompts input,
// in first-seen order, and its human-labelled pairs (a preference
// dataset's; none for an instruction dataset).
type labelPrompts struct {
	Convs [][]chat.Message
	Human []preference.Pair
}

// readLabelPrompts reads an instruction dataset (each conversation up to
// its last user turn) or a preference dataset (each pair's prompt).
func readLabelPrompts(ctx context.Context, in sdk.Input) (labelPrompts, error) {
	var out labelPrompts
	var all [][]chat.Message
	switch in.Kind {
	case artifact.KindPreference:
		pairs, err := preference.Read(ctx, in.Path)
		if err != nil {
			return out, err
		}
		out.Human = pairs
		for _, p := range pairs {
			all = append(all, p.Prompt)
		}
	case artifact.KindInstruction:
		convs, err := sft.ReadConversations(ctx, in.Path)
		if err != nil {
			return out, err
		}
		// A checked conversation ends with an assistant turn after a
		// user turn: dropping it leaves the prompt.
		for _, c := range convs {
			all = append(all, c[:len(c)-1])
		}
	default:
		return out, fmt.Errorf("input \"prompts\" is a %s; want an instruction or a preference dataset", in.Kind)
	}
	seen := map[string]bool{}
	for _, c := range all {
		key, err := chat.MarshalMessages(c)
		if err != nil {
			return out, err
		}
		if !seen[string(key)] {
			seen[string(key)] = true
			out.Convs = append(out.Convs, c)
		}
	}
	return out, nil
}

// sampleAnswers draws cfg.K answers to each conversation from p's model,
// rendered through its chat template with the generation prompt, each
// ending at the end of its turn or after cfg.MaxNewTokens tokens. Answer j
// of prompt i has its own sampler seeded from cfg.Seed and i·K+j.
func sampleAnswers(ctx context.Context, cfg LabelConfig, p *Policy, convs [][]chat.Message, ev sdk.Events) ([][]string, error) {
	P := p.Model.Config.NPositions
	var prompts [][]int32
	var samplers []*model.Sampler
	for i, c := range convs {
		ids, _, err := p.Encoder.Encode(c, chat.Options{Generate: true})
		if err != nil {
			return nil, fmt.Errorf("prompt %d: %v", i, err)
		}
		// Leave room for the answer, but keep at least half the context
		// for the prompt's latest turns.
		if keep := P - min(cfg.MaxNewTokens, P/2); len(ids) > keep {
			ids = ids[len(ids)-keep:]
		}
		for j := range cfg.K {
			prompts = append(prompts, ids)
			samplers = append(samplers, &model.Sampler{Temperature: cfg.Temperature, TopK: cfg.TopK,
				Vocab: p.Tokenizer.VocabSize(), RNG: model.NewRNG(uint64(cfg.Seed)*0x9e3779b97f4a7c15 + uint64(i*cfg.K+j))})
		}
	}
	opt := model.BatchOptions{MaxNew: cfg.MaxNewTokens, Rows: cfg.BatchSize, Stop: p.IDs.EOS}
	out := make([][]string, len(convs))
	chunk := 4 * cfg.BatchSize // progress and cancellation between chunks
	for lo := 0; lo < len(prompts); lo += chunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+chunk, len(prompts))
		gens, err := p.Model.GenerateBatch(prompts[lo:hi], samplers[lo:hi], opt)
		if err != nil {
			return nil, err
		}
		for j, g := range gens {
			if n := len(g); n > 0 && g[n-1] == p.IDs.EOS {
				g = g[:n-1]
			}
			text, err := p.Tokenizer.Decode(g)
			if err != nil {
				return nil, err
			}
			// A byte-level model may stop inside a character or emit bytes
			// that are no text; a pair holds valid UTF-8.
			i := (lo + j) / cfg.K
			out[i] = append(out[i], strings.ToValidUTF8(string(text), "\uFFFD"))
		}
		ev.Progress(int64(hi), int64(len(prompts)), "answers")
	}
	return out, nil
}
