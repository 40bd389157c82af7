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

// TestPEFTQuality tunes one base of config M's shape (6 layers, 6 heads,
// width 384; BenchmarkTrainStep's M) on GSM8K (context 256, longer
// conversations dropped) with full sft and with LoRA r=8 on the four GPT-2
// modules for the same number of steps, LoRA at several learning rates, and
// reports every held-out response loss and the best LoRA's gap to the best
// full sft. Target: within 5%. The base is pretrained briefly on the
// training conversations' text, with chatml's tokens reserved (a frozen
// base cannot add them). It runs only with LLMFLOW_QUALITY=1. Settings by
// environment [defaults]: PEFT_QUALITY_PRETRAIN pretraining steps [150],
// PEFT_QUALITY_STEPS tuning steps [100], PEFT_QUALITY_FULL_LRS full sft's
// rates [0.0005, sft's default], PEFT_QUALITY_LRS LoRA's rates
// [0.001,0.002,0.004,0.008], PEFT_QUALITY_ALPHA LoRA's alpha [16].
// PEFT_QUALITY_BASE names a directory: a base saved there by an earlier run
// is tuned instead of pretraining one, else the new base is saved there.
// PEFT_QUALITY_FULL_LOSS gives full sft's response loss of an earlier run
// on that base for as many steps, to try more LoRA settings without
// training it again (0: report the LoRA losses alone). The kernels compute
// the same with any GOMAXPROCS.
func TestPEFTQuality(t *testing.T) {
	if os.Getenv("LLMFLOW_QUALITY") == "" {
		t.Skip("set LLMFLOW_QUALITY=1 to run the peft quality run")
	}
	t.Run("gsm8k", func(t *testing.T) { loraQuality(t, "sft/gsm8k_train.jsonl", instruction.ShapeQA, 256) })
}

// envInt and envFloats read a quality setting, def when unset.
func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}

func envFloats(t *testing.T, name string, def ...float64) []float64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	var fs []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		fs = append(fs, v)
	}
	return fs
}

func loraQuality(t *testing.T, file, shape string, block int) {
	steps := envInt(t, "PEFT_QUALITY_STEPS", 100)
	fullLRs := envFloats(t, "PEFT_QUALITY_FULL_LRS", 5e-4)
	lrs := envFloats(t, "PEFT_QUALITY_LRS", 1e-3, 2e-3, 4e-3, 8e-3)
	alpha := envFloats(t, "PEFT_QUALITY_ALPHA", 16)[0]
	tmpl, err := chat.Builtin(chat.ChatML)
	if err != nil {
		t.Fatal(err)
	}
	train, held := sfttest.Conversations(t, file, shape)
	base := os.Getenv("PEFT_QUALITY_BASE")
	if _, err := os.Stat(base); base == "" || err != nil {
		dir := sfttest.Pretrain(t, sfttest.Base{Block: block, Steps: envInt(t, "PEFT_QUALITY_PRETRAIN", 150),
			Layers: 6, Heads: 6, Width: 384, LR: 1e-3, Specials: append(tmpl.SpecialTokens(), chat.TokenPad)}, train)
		if base != "" {
			if err := os.CopyFS(base, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			t.Logf("base saved in %s", base)
		}
		base = dir
	}

	// The sft quality run's settings, by steps instead of time; every run
	// decays its rate to a hundredth.
	sc := sft.DefaultConfig()
	sc.BlockSize, sc.Overlong, sc.MaxSteps, sc.TimeBudget = block, sft.OverlongDrop, steps, ""
	sc.BatchSize, sc.Warmup = 8, 20
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
		for _, lr := range fullLRs {
			sc.LR, sc.MinLR = lr, lr/100
			if loss := tune("full sft", sc, sft.Inputs{}, sfttest.NewEvents(t)); full == 0 || loss < full {
				full = loss
			}
		}
	}
	best := 0.0
	for _, lr := range lrs {
		cfg := DefaultConfig()
		cfg.R, cfg.Alpha, cfg.TargetModules = 8, alpha, model.LoRAModules[:]
		cfg.Config = sc
		cfg.LR, cfg.MinLR = lr, lr/100
		ev := sfttest.NewEvents(t)
		loss := tune(fmt.Sprintf("lora r=8 alpha=%g", alpha), cfg.Config, sft.Inputs{Settings: cfg, Adapt: func(m *model.Model) error {
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
		fmt.Printf("QUALITY peft lora lr %g alpha %g: response loss %.4f against full sft's best %.4f: %+.1f%%\n", lr, alpha, loss, full, 100*gap)
		if best == 0 || loss < best {
			best = loss
		}
	}
	if gap := best/full - 1; full > 0 && gap > 0.05 {
		t.Errorf("the best LoRA's held-out response loss %.4f is %.1f%% above full sft's %.4f; target within 5%%", best, 100*gap, full)
	}
}
