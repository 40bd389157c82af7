// Package sfttest holds what the quality runs of the tuning stages (sft,
// peft) share: the conversations of a shared data set split into training
// and held-out parts, and a small base model pretrained on their text.
package sfttest

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/instruction"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/internal/testenv"
	"github.com/llmflow/llmflow/plugins/pretrain"
	"github.com/llmflow/llmflow/plugins/sft"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// Events logs a stage's lines to the test and keeps the last value of
// every metric. It is safe for concurrent use.
type Events struct {
	t  testing.TB
	mu sync.Mutex
	m  map[string]float64
}

// NewEvents returns Events logging to t.
func NewEvents(t testing.TB) *Events { return &Events{t: t, m: map[string]float64{}} }

// Progress implements trainer.Events.
func (e *Events) Progress(int64, int64, string) {}

// Log implements trainer.Events.
func (e *Events) Log(line string) { e.t.Log(line) }

// Output implements trainer.Events.
func (e *Events) Output(string, string, string) {}

// Metric implements trainer.Events.
func (e *Events) Metric(_ int64, name string, v float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[name] = v
}

// Value returns the last value reported for metric name (0 if none).
func (e *Events) Value(name string) float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.m[name]
}

// Conversations ingests the shared data file rel (under the shared data
// directory; the test skips without it) in shape and splits its
// conversations into training ones and 5% held out, always the same.
func Conversations(t testing.TB, rel, shape string) (train, held [][]chat.Message) {
	t.Helper()
	ctx := context.Background()
	ic := instruction.DefaultConfig()
	ic.Shape, ic.OnError = shape, "skip"
	data := filepath.Join(t.TempDir(), "data")
	if _, err := instruction.Ingest(ctx, []string{testenv.SharedFile(t, rel)}, data, ic); err != nil {
		t.Fatal(err)
	}
	convs, err := sft.ReadConversations(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	train, held = sft.HoldOut(convs, 0.05, 1)
	return train, held
}

// Base describes the base model of a quality run: a GPT-2 (4×128 unless
// its shape is given) with a 2048-token byte-level BPE.
type Base struct {
	Block int // context
	// Layers, Heads and Width give the model's shape; 0 keeps 4, 4, 128.
	Layers, Heads, Width int
	// LR is pretraining's peak learning rate (0: the pretrain default).
	LR float64
	// Steps of pretraining, or with Steps 0 its time Budget (which gives
	// fewer steps on a busy machine).
	Steps  int
	Budget string
	// Corpus names testenv corpora the base also reads, comma-separated.
	Corpus string
	// Specials are the tokenizer's special tokens besides <|endoftext|>:
	// a template's, for stages that cannot grow the vocabulary.
	Specials []string
}

// Pretrain trains the tokenizer on the text of convs and the model on that
// text and b.Corpus, and returns the checkpoint directory.
func Pretrain(t testing.TB, b Base, convs [][]chat.Message) string {
	t.Helper()
	var docs [][]byte
	for _, c := range convs {
		var parts []string
		for _, m := range c {
			parts = append(parts, m.Content)
		}
		docs = append(docs, []byte(strings.Join(parts, "\n")))
	}
	tc := tokenizer.DefaultConfig()
	tc.VocabSize, tc.SpecialTokens = 2048, append([]string{chat.TokenEndOfText}, b.Specials...)
	tok, err := tokenizer.Train(context.Background(), docs, tc)
	if err != nil {
		t.Fatal(err)
	}
	tokPath := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	eot, _ := tok.SpecialID(chat.TokenEndOfText)
	for _, name := range strings.Split(b.Corpus, ",") {
		if name == "" {
			continue
		}
		for _, d := range testenv.CorpusTexts(t, name) {
			docs = append(docs, []byte(d))
		}
	}
	var ids, starts []int32
	for _, d := range docs {
		starts = append(starts, int32(len(ids)))
		ids = append(append(ids, tok.Encode(d)...), eot)
	}
	data := &trainer.Data{MaxID: int32(tok.VocabSize() - 1)}
	data.Add(ids, starts, nil, b.Block)
	c := pretrain.DefaultConfig()
	c.NLayer, c.NHead, c.NEmbd, c.BlockSize, c.BatchSize = 4, 4, 128, b.Block, 8
	if b.Layers > 0 {
		c.NLayer, c.NHead, c.NEmbd = b.Layers, b.Heads, b.Width
	}
	if b.LR > 0 {
		c.LR, c.MinLR = b.LR, b.LR/10
	}
	c.MaxSteps, c.TimeBudget, c.EvalEvery, c.LogEvery, c.ResetPositionIDs = b.Steps, b.Budget, 0, 100, true
	out := t.TempDir()
	res, err := pretrain.Train(context.Background(), c, pretrain.Inputs{Train: data, TokenizerJSON: tokPath}, out, NewEvents(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("base model %d steps, %d tokens, train loss %.3f", res.Steps, res.Tokens, res.TrainLoss)
	return res.Dir
}
