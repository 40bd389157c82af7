package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// echoCheckpoint writes a checkpoint whose greedy next token is its last
// input token: random embeddings, no position embedding and zero output
// projections in every block, so the final hidden state is the last
// token's own embedding.
func echoCheckpoint(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	tc := tokenizer.DefaultConfig()
	tc.VocabSize, tc.SpecialTokens = 300, []string{"<|endoftext|>"}
	tok, err := tokenizer.Train(context.Background(), [][]byte{[]byte(strings.Repeat("ab cd ef gh ", 50))}, tc)
	if err != nil {
		t.Fatal(err)
	}
	tokPath := filepath.Join(dir, "tokenizer.json")
	if err := tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), NPositions: 32, NLayer: 1, NHead: 2, NEmbd: 64, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(1)
	for _, ts := range m.Tensors {
		if strings.HasSuffix(ts.Name, "wpe.weight") || strings.HasSuffix(ts.Name, "c_proj.weight") {
			clear(m.Params[ts.Off : ts.Off+ts.Size])
		}
	}
	ckpt := filepath.Join(dir, "ckpt")
	if err := model.SaveCheckpoint(ckpt, m, tokPath); err != nil {
		t.Fatal(err)
	}
	return ckpt
}

// TestGenerateEncodesSpecialTokens: a special token typed in a prompt is
// one id, as the Hugging Face tokenizer encodes it. The echo model then
// repeats <|endoftext|>, which stops generation at once; encoded as
// characters, it would repeat the prompt's last character instead.
func TestGenerateEncodesSpecialTokens(t *testing.T) {
	ckpt := echoCheckpoint(t)
	r := llmflow(t, t.TempDir(), "generate", "--checkpoint", ckpt, "--prompt", "ab<|endoftext|>", "--temperature", "0", "--max-tokens", "4")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if r.stdout != "ab<|endoftext|>\n" {
		t.Errorf("stdout %q, want the prompt alone", r.stdout)
	}
}
