package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/internal/testenv"
)

// transformersJS returns node and the npm prefix holding
// @huggingface/transformers, skipping (failing under CI=true) when either
// is missing.
func transformersJS(t *testing.T) (node, prefix string) {
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.SkipOrFail(t, "node not found (apt-get install nodejs npm): %v", err)
	}
	prefix = os.Getenv("LLMFLOW_NPM_PREFIX")
	if prefix == "" {
		home, _ := os.UserHomeDir()
		prefix = filepath.Join(home, ".cache", "llmflow-npm")
	}
	if _, err := os.Stat(filepath.Join(prefix, "node_modules", "@huggingface", "transformers", "package.json")); err != nil {
		testenv.SkipOrFail(t, "@huggingface/transformers is not installed under %s "+
			"(npm install --prefix %s --ignore-scripts @huggingface/transformers): %v", prefix, prefix, err)
	}
	return node, prefix
}

type jsCase struct {
	Messages            []Message `json:"messages"`
	AddGenerationPrompt bool      `json:"add_generation_prompt"`
}

type jsResult struct {
	Text string  `json:"text"`
	IDs  []int32 `json:"ids"`
}

// TestTransformersJS writes each template's Hugging Face files and checks
// that transformers.js' apply_chat_template renders the same text and ids
// as Encoder, for every test conversation, with and without the
// generation prompt.
func TestTransformersJS(t *testing.T) {
	node, prefix := transformersJS(t)
	var cases []jsCase
	for _, c := range conversations {
		cases = append(cases, jsCase{c.msgs, false}, jsCase{c.msgs[:len(c.msgs)-1], true})
	}
	base := testTokenizer(t)
	for name, tmpl := range testTemplates(t) {
		t.Run(name, func(t *testing.T) { compareWithJS(t, node, prefix, base, tmpl, cases) })
	}
}

// TestTransformersJSSharedData repeats the check on real conversations:
// the multi-turn Chinese oasst1 rows and GSM8K problems, with a tokenizer
// trained on them so merges span the template's boundaries.
func TestTransformersJSSharedData(t *testing.T) {
	node, prefix := transformersJS(t)
	var cases []jsCase
	var docs [][]byte
	for _, file := range []string{"sft/oasst1_zh_sft.jsonl", "sft/gsm8k_train.jsonl"} {
		b, err := os.ReadFile(testenv.SharedFile(t, file))
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(b, []byte("\n"))
		fileCases := 0
		for _, line := range lines[:min(len(lines), 300)] {
			var rec struct {
				Instruction, Output, Question, Answer string
				History                               [][2]string
			}
			if json.Unmarshal(line, &rec) != nil {
				continue
			}
			var msgs []Message
			if rec.Question != "" {
				msgs = []Message{{RoleSystem, "Solve the problem step by step."}, {RoleUser, rec.Question}, {RoleAssistant, rec.Answer}}
			} else {
				for _, h := range rec.History {
					msgs = append(msgs, Message{RoleUser, h[0]}, Message{RoleAssistant, h[1]})
				}
				msgs = append(msgs, Message{RoleUser, rec.Instruction}, Message{RoleAssistant, rec.Output})
			}
			for _, m := range msgs {
				docs = append(docs, []byte(m.Content))
			}
			if fileCases < 40 && (len(msgs) != 2 || len(docs)%8 == 0) {
				cases = append(cases, jsCase{msgs, false}, jsCase{msgs[:len(msgs)-1], true})
				fileCases += 2
			}
		}
	}
	base, err := tokenizer.Train(context.Background(), docs, tokenizer.Config{VocabSize: 2000, MinFrequency: 2,
		SpecialTokens: []string{TokenEndOfText}, HanChunk: 1})
	if err != nil {
		t.Fatal(err)
	}
	for name, tmpl := range testTemplates(t) {
		t.Run(name, func(t *testing.T) { compareWithJS(t, node, prefix, base, tmpl, cases) })
	}
}

// compareWithJS writes tmpl's files for base (grown by AddTokens) and
// compares transformers.js' text and ids with Render and Encode per case.
func compareWithJS(t *testing.T, node, prefix string, base *tokenizer.Tokenizer, tmpl *Template, cases []jsCase) {
	script := filepath.Join("..", "..", "tools", "hfchat", "check.mjs")
	tok, _, err := AddTokens(base, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ckpt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteHFFiles(dir, tok, tmpl, 1024); err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(map[string]any{"dir": dir, "cases": cases})
	cmd := exec.Command(node, script, prefix)
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	var res struct {
		Results []jsResult `json:"results"`
		Version string     `json:"version"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Results) != len(cases) {
		t.Fatalf("bad output (%v): %s", err, out)
	}
	enc, err := NewEncoder(tmpl, tok)
	if err != nil {
		t.Fatal(err)
	}
	tokens := 0
	for i, c := range cases {
		text, _, _ := tmpl.Render(c.Messages, c.AddGenerationPrompt)
		ids, _, err := enc.Encode(c.Messages, Options{Generate: c.AddGenerationPrompt})
		if err != nil {
			t.Fatal(err)
		}
		got := res.Results[i]
		if got.Text != text {
			t.Errorf("case %d: transformers.js %s text\n%q\nwant\n%q", i, res.Version, got.Text, text)
		}
		if !slices.Equal(got.IDs, ids) {
			t.Errorf("case %d: transformers.js %s ids\n%v\nwant\n%v", i, res.Version, got.IDs, ids)
		}
		tokens += len(ids)
	}
	t.Logf("%d conversations (%d tokens) identical with transformers.js %s", len(cases), tokens, res.Version)
}
