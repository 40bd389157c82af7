package pretrain

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/internal/testenv"
	"github.com/llmflow/llmflow/model/kernel"
	"github.com/llmflow/llmflow/plugins/trainer"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

type logEvents struct{ t *testing.T }

func (logEvents) Progress(int64, int64, string) {}
func (logEvents) Metric(int64, string, float64) {}
func (e logEvents) Log(line string)             { e.t.Log(line) }

// TestQuickstartQuality trains the quickstart model on tinyshakespeare
// (first 90% train, last 10% validation, nanoGPT's split) under a time
// budget and reports validation loss in nats per character. It takes
// minutes, so it runs only with LLMFLOW_QUALITY=1. Target: <= 1.88 within 5
// minutes on 2 cores.
func TestQuickstartQuality(t *testing.T) {
	if os.Getenv("LLMFLOW_QUALITY") == "" {
		t.Skip("set LLMFLOW_QUALITY=1 to run the tinyshakespeare quality run")
	}
	c, in := quickstartRun(t)
	start := time.Now()
	out := os.Getenv("QS_OUT") // keeps the checkpoint, e.g. for llmflow generate
	if out == "" {
		out = t.TempDir()
	}
	res, err := Train(context.Background(), c, in, out, logEvents{t})
	if err != nil {
		t.Fatal(err)
	}
	perChar := res.ValBPB * math.Ln2 // ASCII text: one byte per character
	t.Logf("config %+v", c)
	t.Logf("%d steps, %d tokens in %v; val loss %.4f nats/token, %.4f nats/char, %.4f bits/byte",
		res.Steps, res.Tokens, time.Since(start).Round(time.Second), res.ValLoss, perChar, res.ValBPB)
	fmt.Printf("QUALITY nats_per_char=%.4f bpb=%.4f steps=%d\n", perChar, res.ValBPB, res.Steps)
	if perChar > 1.88 {
		t.Errorf("val loss %.4f nats/char, target <= 1.88", perChar)
	}
}

// quickstartRun is the quality run's config (QS_* environment variables
// override its shape, batch, budget and learning rate) and its data: a
// tokenizer trained on the first 90% of tinyshakespeare, which is the
// training text, and the last 10% for validation.
func quickstartRun(t *testing.T) (Config, Inputs) {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(testenv.SharedData(t), "pretrain-en", "tinyshakespeare.txt"))
	if err != nil {
		t.Fatal(err)
	}
	split := len(text) * 9 / 10
	trainText, valText := text[:split], text[split:]
	start := time.Now()
	tc := tokenizer.DefaultConfig()
	tc.VocabSize = envInt("QS_VOCAB", 512)
	tc.SpecialTokens = []string{"<|endoftext|>"}
	tok, err := tokenizer.Train(context.Background(), [][]byte{trainText}, tc)
	if err != nil {
		t.Fatal(err)
	}
	tokPath := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	c := QuickstartConfig()
	c.NLayer = envInt("QS_LAYER", c.NLayer)
	c.NEmbd = envInt("QS_EMBD", c.NEmbd)
	c.NHead = envInt("QS_HEAD", c.NHead)
	c.BlockSize = envInt("QS_BLOCK", c.BlockSize)
	c.BatchSize = envInt("QS_BATCH", c.BatchSize)
	if s := os.Getenv("QS_BUDGET"); s != "" {
		c.TimeBudget = s
	}
	if p := os.Getenv("QS_PRECISION"); p != "" {
		c.Precision = p
	}
	if lr, err := strconv.ParseFloat(os.Getenv("QS_LR"), 64); err == nil {
		c.LR, c.MinLR = lr, lr/10
	}
	trainIDs, valIDs := tok.Encode(trainText), tok.Encode(valText)
	train, val := &trainer.Data{}, &trainer.Data{}
	train.Add(trainIDs, []int32{0}, nil, c.BlockSize)
	val.Add(valIDs, []int32{0}, nil, c.BlockSize)
	train.MaxID, val.MaxID = int32(tok.VocabSize()-1), int32(tok.VocabSize()-1)
	t.Logf("tokenizer %d ids in %v: %.2f chars/token; %d train examples", tok.VocabSize(), time.Since(start).Round(time.Millisecond),
		float64(len(valText))/float64(len(valIDs)), len(train.Examples))
	return c, Inputs{Train: train, Val: val, TokenizerJSON: tokPath}
}

// TestBF16LossParity trains the quickstart model for the same number of
// steps (QS_STEPS, default 600) in fp32 and in bf16 and requires the
// validation losses within 1% of each other. LLMFLOW_QUALITY=1 runs it.
func TestBF16LossParity(t *testing.T) {
	if os.Getenv("LLMFLOW_QUALITY") == "" {
		t.Skip("set LLMFLOW_QUALITY=1 to run the tinyshakespeare parity run")
	}
	c, in := quickstartRun(t)
	c.TimeBudget, c.MaxSteps = "", envInt("QS_STEPS", 600)
	loss := map[string]float64{}
	for _, prec := range []string{"fp32", "bf16"} {
		c.Precision = prec
		start := time.Now()
		res, err := Train(context.Background(), c, in, t.TempDir(), logEvents{t})
		if err != nil {
			t.Fatal(err)
		}
		loss[prec] = res.ValLoss
		t.Logf("%s: %d steps in %v, val loss %.4f nats/token, %.4f bits/byte", prec,
			res.Steps, time.Since(start).Round(time.Second), res.ValLoss, res.ValBPB)
	}
	rel := (loss["bf16"] - loss["fp32"]) / loss["fp32"]
	fmt.Printf("PARITY steps=%d kernels=%s fp32=%.4f bf16=%.4f rel=%+.3f%%\n", c.MaxSteps, kernel.Path(), loss["fp32"], loss["bf16"], 100*rel)
	if math.Abs(rel) > 0.01 {
		t.Errorf("bf16 val loss %.4f is %+.2f%% off fp32's %.4f (limit 1%%)", loss["bf16"], 100*rel, loss["fp32"])
	}
}
