package chat

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

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
	script := filepath.Join("..", "..", "tools", "hfchat", "check.mjs")
	base := testTokenizer(t)
	for name, tmpl := range testTemplates(t) {
		t.Run(name, func(t *testing.T) {
			tok, _, err := AddTokens(base, tmpl)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "ckpt")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := WriteHFFiles(dir, tok, tmpl, 128); err != nil {
				t.Fatal(err)
			}
			var cases []jsCase
			for _, c := range conversations {
				cases = append(cases, jsCase{c.msgs, false}, jsCase{c.msgs[:len(c.msgs)-1], true})
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
			}
			t.Logf("%d conversations identical with transformers.js %s", len(cases), res.Version)
		})
	}
}
