package eval

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// TokenizerConfigFile is the Hugging Face file in a checkpoint directory
// that carries its chat template (the "chat_template" member).
const TokenizerConfigFile = "tokenizer_config.json"

// Message is one turn of a conversation.
type Message struct {
	Role    string // "system", "user" or "assistant"
	Content string
}

// ChatRenderer renders a conversation into prompt ids with the chat
// template of a checkpoint, ending where the assistant's reply begins (a
// generation prompt). With chat_template = true the stage formats every
// prompt through it: the k-shot examples become alternating user and
// assistant turns and the prompt the last user turn. A Stage whose Chat is
// nil refuses chat_template = true, naming the setting; the built-in
// registry sets Chat to the chat-template renderer where llmflow has one.
type ChatRenderer interface {
	RenderPrompt(checkpointDir string, messages []Message) ([]int32, error)
}

// checkChatTemplate reports whether dir's tokenizer_config.json holds a
// chat_template, and why not.
func checkChatTemplate(dir string) error {
	path := filepath.Join(dir, TokenizerConfigFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("eval: chat_template = true, but the checkpoint has no %s: %w", TokenizerConfigFile, err)
	}
	var cfg struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("eval: %s: %w", path, err)
	}
	if len(cfg.ChatTemplate) == 0 || string(cfg.ChatTemplate) == "null" {
		return fmt.Errorf("eval: chat_template = true, but %s has no chat_template; set chat_template = false to format prompts with template", path)
	}
	return nil
}

// chatMessages is the conversation for a prompt and its shots.
func chatMessages(shots []shot, prompt string) []Message {
	msgs := make([]Message, 0, 2*len(shots)+1)
	for _, s := range shots {
		msgs = append(msgs, Message{"user", s.prompt}, Message{"assistant", s.answer})
	}
	return append(msgs, Message{"user", prompt})
}
