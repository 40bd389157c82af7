package chat

import (
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

var update = flag.Bool("update", false, "rewrite golden files")

// corpus trains the test tokenizer: English and Chinese, so merges exist on
// both sides of every template boundary.
const corpus = `The assistant answers questions about arithmetic and cooking.
What is two plus three? Two plus three is five. Add the flour, then the eggs.
### Instruction:
Explain how to boil an egg.
### Response:
Put the egg in boiling water for seven minutes.
你是一个乐于助人的助手。布洛芬和对乙酰氨基酚有什么区别？它们都是止痛药，但作用机制不同。
请用一句话介绍北京。北京是中国的首都，历史悠久。谢谢！不客气。
`

// testTokenizer is trained with only <|endoftext|>, so every template needs
// AddTokens.
func testTokenizer(tb testing.TB) *tokenizer.Tokenizer {
	tb.Helper()
	docs := [][]byte{}
	for _, line := range strings.Split(corpus, "\n") {
		docs = append(docs, []byte(line))
	}
	tok, err := tokenizer.Train(context.Background(), docs, tokenizer.Config{
		VocabSize: 420, MinFrequency: 1, SpecialTokens: []string{TokenEndOfText}, HanChunk: 1,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// customSpec is a user template in the style of several open chat models.
var customSpec = Spec{
	Begin:            "<|begin|>",
	System:           "<|system|>\n{{content}}<|end|>\n",
	User:             "<|user|>\n{{content}}<|end|>\n",
	Assistant:        "<|assistant|>\n{{content}}<|end|>\n",
	GenerationPrompt: "<|assistant|>\n",
	EndOfTurn:        "<|end|>",
	SpecialTokens:    []string{"<|begin|>", "<|system|>", "<|user|>", "<|assistant|>"},
}

func testTemplates(tb testing.TB) map[string]*Template {
	tb.Helper()
	out := map[string]*Template{}
	for _, name := range Builtins() {
		t, err := Builtin(name)
		if err != nil {
			tb.Fatal(err)
		}
		out[name] = t
	}
	t, err := customSpec.Template()
	if err != nil {
		tb.Fatal(err)
	}
	out["custom"] = t
	return out
}

// conversations cover English and Chinese, single and multi-turn, with and
// without a system turn, and awkward boundaries (trailing space and
// newline in content, an apostrophe and a backslash).
var conversations = []struct {
	name string
	msgs []Message
}{
	{"en_single", []Message{
		{RoleUser, "What is two plus three?"},
		{RoleAssistant, "Two plus three is five."},
	}},
	{"en_system_multi", []Message{
		{RoleSystem, "You answer about cooking. Don't guess."},
		{RoleUser, "How do I boil an egg? "},
		{RoleAssistant, "Put the egg in boiling water.\n"},
		{RoleUser, `Path C:\eggs, 'soft' or "hard"?`},
		{RoleAssistant, " Seven minutes for hard."},
	}},
	{"zh_system_multi", []Message{
		{RoleSystem, "你是一个乐于助人的助手。"},
		{RoleUser, "布洛芬和对乙酰氨基酚有什么区别？"},
		{RoleAssistant, "它们都是止痛药，但作用机制不同。"},
		{RoleUser, "请用一句话介绍北京。"},
		{RoleAssistant, "北京是中国的首都，历史悠久。"},
	}},
}
