package peft

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/instruction"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// recEvents records metrics (last value by name), logs and outputs.
type recEvents struct {
	mu      sync.Mutex
	metrics map[string]float64
	logs    []string
	outputs map[string]string
}

func newRecEvents() *recEvents {
	return &recEvents{metrics: map[string]float64{}, outputs: map[string]string{}}
}

func (e *recEvents) Progress(int64, int64, string) {}
func (e *recEvents) Log(line string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.logs = append(e.logs, line)
}
func (e *recEvents) Metric(_ int64, name string, v float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.metrics[name] = v
}
func (e *recEvents) Output(name, path, kind string) { e.outputs[name] = path }

// qa returns n small arithmetic questions and answers.
func qa(n int) [][2]string {
	var out [][2]string
	for i := range n {
		a, b := i%7+1, i%5+2
		out = append(out, [2]string{fmt.Sprintf("What is %d plus %d?", a, b), fmt.Sprintf("%d plus %d is %d.", a, b, a+b)})
	}
	return out
}

// chatCheckpoint writes a randomly initialised 2-layer GPT-2 whose
// tokenizer already has chatml's tokens and the padding token, as an sft
// stage's output has; with plain, only <|endoftext|>.
func chatCheckpoint(t *testing.T, plain bool) string {
	t.Helper()
	var text []byte
	for _, c := range qa(40) {
		text = fmt.Appendf(text, "%s %s\n", c[0], c[1])
	}
	tc := tokenizer.DefaultConfig()
	tc.VocabSize, tc.SpecialTokens = 300, []string{chat.TokenEndOfText, chat.TokenIMStart, chat.TokenIMEnd, chat.TokenPad}
	if plain {
		tc.SpecialTokens = tc.SpecialTokens[:1]
	}
	tok, err := tokenizer.Train(context.Background(), [][]byte{text}, tc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tokPath := filepath.Join(dir, "tok.json")
	if err := tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), NPositions: 64, NLayer: 2, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(1)
	ckpt := filepath.Join(dir, "ckpt")
	if err := model.SaveCheckpoint(ckpt, m, tokPath); err != nil {
		t.Fatal(err)
	}
	return ckpt
}

// writeInstructions ingests n questions and answers into an instruction
// dataset.
func writeInstructions(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	var b []byte
	for _, c := range qa(n) {
		b = fmt.Appendf(b, "{\"prompt\": %q, \"response\": %q}\n", c[0], c[1])
	}
	src := filepath.Join(dir, "qa.jsonl")
	if err := os.WriteFile(src, b, 0o644); err != nil {
		t.Fatal(err)
	}
	c := instruction.DefaultConfig()
	c.Shape = "prompt_response"
	out := filepath.Join(dir, "data")
	if _, err := instruction.Ingest(context.Background(), []string{src}, out, c); err != nil {
		t.Fatal(err)
	}
	return out
}
