package sft

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
	outputs []string
}

func newRecEvents() *recEvents { return &recEvents{metrics: map[string]float64{}} }

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
func (e *recEvents) Output(name, path, kind string) { e.outputs = append(e.outputs, name+" "+kind) }

// qaConvs returns n small arithmetic conversations.
func qaConvs(n int) [][]chat.Message {
	var out [][]chat.Message
	for i := range n {
		a, b := i%7+1, i%5+2
		out = append(out, []chat.Message{
			{Role: chat.RoleUser, Content: fmt.Sprintf("What is %d plus %d?", a, b)},
			{Role: chat.RoleAssistant, Content: fmt.Sprintf("%d plus %d is %d.", a, b, a+b)},
		})
	}
	return out
}

// tinyCheckpoint writes a randomly initialised 1-layer GPT-2 with a small
// byte-level BPE trained on text like qaConvs' into a directory.
func tinyCheckpoint(t *testing.T, nPositions int) string {
	t.Helper()
	var text []byte
	for _, c := range qaConvs(40) {
		text = fmt.Appendf(text, "%s %s\n", c[0].Content, c[1].Content)
	}
	tc := tokenizer.DefaultConfig()
	tc.VocabSize, tc.SpecialTokens = 300, []string{chat.TokenEndOfText}
	tok, err := tokenizer.Train(context.Background(), [][]byte{text}, tc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tokPath := filepath.Join(dir, "tok.json")
	if err := tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), NPositions: nPositions, NLayer: 1, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
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

// writeInstructions writes convs as a JSONL file of prompt/response
// records and ingests it into an instruction dataset.
func writeInstructions(t *testing.T, convs [][]chat.Message) string {
	t.Helper()
	dir := t.TempDir()
	var b []byte
	for _, c := range convs {
		b = fmt.Appendf(b, "{\"prompt\": %q, \"response\": %q}\n", c[0].Content, c[1].Content)
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
