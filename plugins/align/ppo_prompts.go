package align

import (
	"context"
	"fmt"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/preference"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/sft"
)

// readPrompts returns the prompt conversations of a prompts input: an
// instruction dataset's conversations up to their last user turn, or a
// preference dataset's prompts.
func readPrompts(ctx context.Context, in sdk.Input) ([][]chat.Message, error) {
	switch in.Kind {
	case artifact.KindPreference:
		pairs, err := preference.Read(ctx, in.Path)
		if err != nil {
			return nil, err
		}
		out := make([][]chat.Message, len(pairs))
		for i, p := range pairs {
			out[i] = p.Prompt
		}
		return out, nil
	case artifact.KindInstruction, "":
		convs, err := sft.ReadConversations(ctx, in.Path)
		if err != nil {
			return nil, err
		}
		out := make([][]chat.Message, 0, len(convs))
		for i, c := range convs {
			last := -1
			for j, m := range c {
				if m.Role == chat.RoleUser {
					last = j
				}
			}
			if last < 0 {
				return nil, fmt.Errorf("%s: row %d has no user turn to prompt with", in.Path, i)
			}
			out = append(out, c[:last+1])
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%s: prompts come from an instruction or preference dataset, not %s", in.Path, in.Kind)
	}
}

// encodePrompts renders each conversation with the generation prompt and
// tokenizes it. Prompts that leave no room for maxNew tokens in a context
// of n positions are left out; it returns the kept ones and their indices.
func encodePrompts(enc *chat.Encoder, convs [][]chat.Message, n, maxNew int) (ids [][]int32, kept []int, err error) {
	for i, c := range convs {
		p, _, err := enc.Encode(c, chat.Options{Generate: true})
		if err != nil {
			return nil, nil, fmt.Errorf("prompt %d: %w", i, err)
		}
		if len(p)+maxNew > n {
			continue
		}
		ids = append(ids, p)
		kept = append(kept, i)
	}
	return ids, kept, nil
}
