package builtin

import (
	"context"
	"slices"
	"testing"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/plugins/eval"
)

// TestChatRenderer: the built-in eval stage renders prompts with the
// template a checkpoint's tokenizer_config.json carries, ending with the
// generation prompt, exactly as the chat package encodes them.
func TestChatRenderer(t *testing.T) {
	tok, err := tokenizer.Train(context.Background(), [][]byte{[]byte("the small model reads the small text")},
		tokenizer.Config{VocabSize: 280, MinFrequency: 1, SpecialTokens: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := chat.Builtin(chat.ChatML)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err = chat.AddTokens(tok, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := chat.WriteHFFiles(dir, tok, tmpl, 64); err != nil {
		t.Fatal(err)
	}
	msgs := []eval.Message{{Role: "user", Content: "the small"}, {Role: "assistant", Content: "model"}, {Role: "user", Content: "reads"}}
	r := &chatRenderer{}
	got, err := r.RenderPrompt(dir, msgs)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := chat.NewEncoder(tmpl, tok)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := enc.Encode([]chat.Message{{Role: "user", Content: "the small"}, {Role: "assistant", Content: "model"}, {Role: "user", Content: "reads"}}, chat.Options{Generate: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ids %v, want %v", got, want)
	}
	if _, err := r.RenderPrompt(t.TempDir(), msgs); err == nil {
		t.Fatal("a checkpoint without a chat template was accepted")
	}
}
