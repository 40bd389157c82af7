package builtin

import (
	"path/filepath"
	"sync"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/eval"
	"github.com/llmflow/llmflow/plugins/sdk"
)

func init() {
	stages["eval"] = func() sdk.Stage { return eval.Stage{Chat: &chatRenderer{}} }
}

// chatRenderer formats eval prompts with the chat template a checkpoint
// carries in its tokenizer_config.json. The template and tokenizer are
// read once per checkpoint directory.
type chatRenderer struct {
	mu   sync.Mutex
	encs map[string]*chat.Encoder
}

// RenderPrompt implements eval.ChatRenderer: the conversation ends with the
// template's generation prompt.
func (r *chatRenderer) RenderPrompt(dir string, msgs []eval.Message) ([]int32, error) {
	enc, err := r.encoder(dir)
	if err != nil {
		return nil, err
	}
	conv := make([]chat.Message, len(msgs))
	for i, m := range msgs {
		conv[i] = chat.Message{Role: m.Role, Content: m.Content}
	}
	r.mu.Lock()
	defer r.mu.Unlock() // an Encoder is not safe for concurrent use
	ids, _, err := enc.Encode(conv, chat.Options{Generate: true})
	return ids, err
}

func (r *chatRenderer) encoder(dir string) (*chat.Encoder, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if enc, ok := r.encs[dir]; ok {
		return enc, nil
	}
	t, err := chat.ReadHFTemplate(dir)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.Load(filepath.Join(dir, model.TokenizerFile))
	if err != nil {
		return nil, err
	}
	enc, err := chat.NewEncoder(t, tok)
	if err != nil {
		return nil, err
	}
	if r.encs == nil {
		r.encs = map[string]*chat.Encoder{}
	}
	r.encs[dir] = enc
	return enc, nil
}
