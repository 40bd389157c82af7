package peft

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/instruction"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sft"
	"github.com/llmflow/llmflow/plugins/sft/sfttest"
)

// TestPEFTQuality tunes one base on GSM8K with full sft and with LoRA r=8
// on the four GPT-2 modules for the same number of steps, LoRA at several
// learning rates, and reports every held-out response loss and LoRA's gap
// to full sft. Target: the best LoRA within 5%. The base is the sft quality
// run's, pretrained for 800 steps, with chatml's tokens reserved (a frozen
// base cannot add them). It
// takes about 20 minutes on a quiet machine, so it runs only with
// LLMFLOW_QUALITY=1; PEFT_QUALITY_STEPS (default 1000) and PEFT_QUALITY_LRS
// (default "0.001,0.002,0.004") change the steps and the LoRA learning
// rates, PEFT_QUALITY_BASE names a checkpoint of an earlier run's base to
// tune instead of pretraining one (the log says where it was saved), and
// PEFT_QUALITY_FULL_LOSS gives full sft's response loss of an earlier run
// on that base for as many steps, to try more LoRA rates without training
// it again (0: report the LoRA losses alone). The kernels compute the same
// with any GOMAXPROCS; GOMAXPROCS=1 wastes less on a busy machine.
func TestPEFTQuality(t *testing.T) {
	if os.Getenv("LLMFLOW_QUALITY") == "" {
		t.Skip("set LLMFLOW_QUALITY=1 to run the peft quality run")
	}
	t.Run("gsm8k", func(t *testing.T) { loraQuality(t, "sft/gsm8k_train.jsonl", instruction.ShapeQA, 384) })
}

func loraQuality(t *testing.T, file, shape string, block int) {
	steps, lrs := 1000, []float64{1e-3, 2e-3, 4e-3}
	if s := os.Getenv("PEFT_QUALITY_STEPS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("PEFT_QUALITY_STEPS: %v", err)
		}
		steps = n
	}
	if s := os.Getenv("PEFT_QUALITY_LRS"); s != "" {
		lrs = nil
		for _, f := range strings.Split(s, ",") {
			lr, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatalf("PEFT_QUALITY_LRS: %v", err)
			}
			lrs = append(lrs, lr)
		}
	}
	tmpl, err := chat.Builtin(chat.ChatML)
	if err != nil {
		t.Fatal(err)
	}
	train, held := sfttest.Conversations(t, file, shape)
	// As many steps as the sft quality run's 2-minute base took on a quiet
	// machine, so that a busy one does not weaken the base.
	base := os.Getenv("PEFT_QUALITY_BASE")
	if base == "" {
		base = sfttest.Pretrain(t, sfttest.Base{Block: block, Steps: 800, Specials: append(tmpl.SpecialTokens(), chat.TokenPad)}, train)
	}

	// The sft quality run's settings, by steps instead of time.
	sc := sft.DefaultConfig()
	sc.BlockSize, sc.Overlong, sc.MaxSteps, sc.TimeBudget = block, sft.OverlongDrop, steps, ""
	sc.BatchSize, sc.LR, sc.MinLR, sc.Warmup = 8, 1e-3, 1e-5, 30
	sc.EvalEvery, sc.EvalBatches, sc.LogEvery, sc.Seed = 0, 0, 100, 1
	tune := func(name string, sc sft.Config, in sft.Inputs, ev *sfttest.Events) float64 {
		in.ModelDir, in.Train, in.Val, in.FixedVocab = base, train, held, true
		start := time.Now()
		res, err := sft.Train(context.Background(), sc, in, t.TempDir(), ev)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("QUALITY peft %s: %d steps in %v, lr %g, base_response_loss=%.4f response_loss=%.4f trainable_share=%.4f\n",
			name, res.Steps, time.Since(start).Round(time.Second), sc.LR, ev.Value("base_val_loss"), res.ValLoss, ev.Value("trainable_share"))
		return res.ValLoss
	}
	var full float64
	if s := os.Getenv("PEFT_QUALITY_FULL_LOSS"); s != "" {
		if full, err = strconv.ParseFloat(s, 64); err != nil {
			t.Fatalf("PEFT_QUALITY_FULL_LOSS: %v", err)
		}
	} else {
		full = tune("full sft", sc, sft.Inputs{}, sfttest.NewEvents(t))
	}
	best := 0.0
	for _, lr := range lrs {
		cfg := DefaultConfig()
		cfg.R, cfg.Alpha, cfg.TargetModules = 8, 16, []string{"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"}
		cfg.Config = sc
		// The same decay to a hundredth as full sft.
		cfg.LR, cfg.MinLR = lr, lr/100
		ev := sfttest.NewEvents(t)
		loss := tune("lora r=8", cfg.Config, sft.Inputs{Settings: cfg, Adapt: func(m *model.Model) error {
			if err := cfg.adapt(m); err != nil {
				return err
			}
			reportParams(ev, m)
			return nil
		}}, ev)
		if full == 0 {
			continue
		}
		gap := loss/full - 1
		fmt.Printf("QUALITY peft lora lr %g: response loss %.4f against full sft's %.4f: %+.1f%%\n", lr, loss, full, 100*gap)
		if best == 0 || loss < best {
			best = loss
		}
	}
	if gap := best/full - 1; full > 0 && gap > 0.05 {
		t.Errorf("the best LoRA's held-out response loss %.4f is %.1f%% above full sft's %.4f; target within 5%%", best, 100*gap, full)
	}
}
