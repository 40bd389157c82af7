package align

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/preference"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/internal/testenv"
	"github.com/llmflow/llmflow/plugins/pretrain"
	"github.com/llmflow/llmflow/plugins/sft"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// alignCase is one data set of the quality run and its time budgets.
type alignCase struct {
	name, file, shape          string
	block                      int
	pretrain, sft, reward, dpo string // time budgets; empty skips the stage
	// corpus names a testenv corpus the base model also pretrains on.
	corpus string
}

// logEvents records metrics and logs lines to the test.
type logEvents struct {
	*recEvents
	t *testing.T
}

func (e logEvents) Log(line string) { e.t.Log(line) }

// TestAlignQuality measures the targets of the alignment stages on the
// shared preference data: a seeded 20% of the records is held out; a small
// GPT-2 is pretrained on the training pairs' chosen transcripts and
// fine-tuned (sft) on their chosen answers, then a reward model and a DPO
// policy are trained from it. It prints the held-out pairwise accuracy of
// the reward model and the held-out implicit-reward accuracy of DPO, each
// with its 95% Wilson interval. Targets: both ≥ 0.62 on HH. It takes about
// 30 minutes, so it runs only with LLMFLOW_QUALITY=1; ALIGN_CASE picks one
// case by name, ALIGN_STAGES ("reward", "dpo" or both) the stages after
// sft, and ALIGN_BUDGET replaces every time budget.
func TestAlignQuality(t *testing.T) {
	if os.Getenv("LLMFLOW_QUALITY") == "" {
		t.Skip("set LLMFLOW_QUALITY=1 to run the alignment quality run")
	}
	for _, ac := range []alignCase{
		{name: "hh", file: "preference/hh_rlhf_harmless_base_test.jsonl", shape: preference.ShapeHH, block: 256,
			pretrain: "300s", sft: "120s", reward: "600s", dpo: "420s"},
		{name: "oasst1_zh", file: "preference/oasst1_zh_rm.jsonl", shape: preference.ShapeRanked, block: 512,
			pretrain: "180s", sft: "60s", reward: "240s", corpus: "xiyouji"},
	} {
		if c := os.Getenv("ALIGN_CASE"); c != "" && c != ac.name {
			continue
		}
		if st := os.Getenv("ALIGN_STAGES"); st != "" { // e.g. "reward": skip dpo
			if !strings.Contains(st, "reward") {
				ac.reward = ""
			}
			if !strings.Contains(st, "dpo") {
				ac.dpo = ""
			}
		}
		if b := os.Getenv("ALIGN_BUDGET"); b != "" { // a quick trial of the whole run
			for _, s := range []*string{&ac.pretrain, &ac.sft, &ac.reward, &ac.dpo} {
				if *s != "" {
					*s = b
				}
			}
		}
		t.Run(ac.name, func(t *testing.T) { alignRun(t, ac) })
	}
}

func alignRun(t *testing.T, ac alignCase) {
	ctx := context.Background()
	train, val := ingestSplit(t, ac)
	t.Logf("%s: %d training pairs, %d held-out pairs", ac.name, len(train.Pairs), len(val.Pairs))
	base := sftBase(t, ac, train.Pairs)
	ev := logEvents{newRecEvents(), t}
	if ac.reward != "" {
		p, err := LoadPolicy(base, "")
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultRewardConfig()
		cfg.MaxSteps, cfg.TimeBudget, cfg.BatchSize, cfg.LR, cfg.MinLR, cfg.Warmup = 0, ac.reward, 16, 3e-4, 3e-5, 20
		// Held-out pairs are scored once, at the end: evaluating inside the
		// loop would spend the time budget.
		cfg.EvalEvery, cfg.LogEvery, cfg.Seed = 0, 50, 1
		cfg.MaxPromptLength = ac.block / 2
		start := time.Now()
		res, err := TrainReward(ctx, cfg, p, train, val, t.TempDir(), ev)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("QUALITY %s reward held-out pairwise accuracy %.3f (95%% CI %.3f-%.3f, %d pairs) after %d steps in %v; train accuracy %s\n",
			ac.name, res.ValAccuracy, res.ValLo, res.ValHi, res.ValPairs, res.Steps, time.Since(start).Round(time.Second), series(ev.metrics["train/accuracy"]))
		if ac.name == "hh" && res.ValAccuracy < 0.62 {
			t.Errorf("reward model held-out accuracy %.3f; target at least 0.62", res.ValAccuracy)
		}
	}
	if ac.dpo != "" {
		p, err := LoadPolicy(base, "")
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultDPOConfig()
		cfg.MaxSteps, cfg.TimeBudget, cfg.BatchSize, cfg.LR, cfg.MinLR, cfg.Warmup = 0, ac.dpo, 16, 2e-4, 2e-5, 20
		cfg.EvalEvery, cfg.LogEvery, cfg.Seed = 0, 50, 1
		cfg.MaxPromptLength = ac.block / 2
		start := time.Now()
		res, err := TrainDPO(ctx, cfg, p, train, val, t.TempDir(), ev)
		if err != nil {
			t.Fatal(err)
		}
		acc := ev.last(t, "eval_rewards/accuracies")
		lo, hi := ev.last(t, "eval_rewards/accuracies_lo"), ev.last(t, "eval_rewards/accuracies_hi")
		fmt.Printf("QUALITY %s dpo held-out implicit-reward accuracy %.3f (95%% CI %.3f-%.3f) margin %.4f after %d steps in %v; train accuracy %s\n",
			ac.name, acc, lo, hi, ev.last(t, "eval_rewards/margins"), res.Steps, time.Since(start).Round(time.Second), series(ev.metrics["rewards/accuracies"]))
		if ac.name == "hh" && acc < 0.62 {
			t.Errorf("DPO held-out implicit-reward accuracy %.3f; target at least 0.62", acc)
		}
	}
}

// ingestSplit maps the case's file to pairs through the preferences
// ingest, holding out a seeded 20% of the records.
func ingestSplit(t *testing.T, ac alignCase) (train, val pairSet) {
	ctx := context.Background()
	dir := t.TempDir()
	tw, err := preference.NewWriter(filepath.Join(dir, "train"))
	if err != nil {
		t.Fatal(err)
	}
	vw, err := preference.NewWriter(filepath.Join(dir, "val"))
	if err != nil {
		t.Fatal(err)
	}
	c := preference.DefaultConfig()
	c.Shape, c.ValFraction, c.OnError = ac.shape, 0.2, "skip"
	if _, err := preference.Ingest(ctx, []string{testenv.SharedFile(t, ac.file)}, tw, vw, c, 1); err != nil {
		t.Fatal(err)
	}
	for _, w := range []*preference.Writer{tw, vw} {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if train, err = readPairSet(ctx, filepath.Join(dir, "train")); err != nil {
		t.Fatal(err)
	}
	if val, err = readPairSet(ctx, filepath.Join(dir, "val")); err != nil {
		t.Fatal(err)
	}
	return train, val
}

// sftBase pretrains a small GPT-2 (with its own byte-level BPE) on the
// chosen transcripts of pairs (and the case's corpus), fine-tunes it on
// the chosen answers with the sft stage, which adds the chat template, and
// returns the sft checkpoint.
func sftBase(t *testing.T, ac alignCase, pairs []preference.Pair) string {
	ctx := context.Background()
	var docs [][]byte
	var convs [][]chat.Message
	for _, p := range pairs {
		conv := append(append([]chat.Message(nil), p.Prompt...), chat.Message{Role: chat.RoleAssistant, Content: p.Chosen})
		var parts []string
		for _, m := range conv {
			parts = append(parts, m.Content)
		}
		docs = append(docs, []byte(strings.Join(parts, "\n")))
		convs = append(convs, conv)
	}
	tc := tokenizer.DefaultConfig()
	tc.VocabSize, tc.SpecialTokens = 2048, []string{chat.TokenEndOfText}
	tok, err := tokenizer.Train(ctx, docs, tc)
	if err != nil {
		t.Fatal(err)
	}
	tokPath := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	eot, _ := tok.SpecialID(chat.TokenEndOfText)
	if ac.corpus != "" {
		for _, d := range testenv.CorpusTexts(t, ac.corpus) {
			docs = append(docs, []byte(d))
		}
	}
	var ids, starts []int32
	for _, d := range docs {
		starts = append(starts, int32(len(ids)))
		ids = append(append(ids, tok.Encode(d)...), eot)
	}
	data := &trainer.Data{MaxID: int32(tok.VocabSize() - 1)}
	data.Add(ids, starts, nil, ac.block)
	c := pretrain.DefaultConfig()
	c.NLayer, c.NHead, c.NEmbd, c.BlockSize, c.BatchSize = 4, 4, 128, ac.block, 8
	c.MaxSteps, c.TimeBudget, c.EvalEvery, c.LogEvery, c.ResetPositionIDs, c.Seed = 0, ac.pretrain, 0, 100, true, 1
	res, err := pretrain.Train(ctx, c, pretrain.Inputs{Train: data, TokenizerJSON: tokPath}, t.TempDir(), logEvents{newRecEvents(), t})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: base model %d steps, %d tokens, train loss %.3f", ac.name, res.Steps, res.Tokens, res.TrainLoss)
	sc := sft.DefaultConfig()
	sc.BlockSize, sc.Overlong, sc.MaxSteps, sc.TimeBudget = ac.block, sft.OverlongTruncate, 0, ac.sft
	sc.BatchSize, sc.LR, sc.MinLR, sc.Warmup, sc.EvalEvery, sc.LogEvery, sc.Seed = 8, 1e-3, 1e-4, 30, 0, 100, 1
	sres, err := sft.Train(ctx, sc, sft.Inputs{ModelDir: res.Dir, Train: convs, Val: [][]chat.Message{}}, t.TempDir(), logEvents{newRecEvents(), t})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: sft %d steps, train loss %.3f", ac.name, sres.Steps, sres.TrainLoss)
	return sres.Dir
}

// series renders every fourth value of a metric's series, for the log.
func series(v []float64) string {
	var parts []string
	for i := 0; i < len(v); i += 4 {
		parts = append(parts, fmt.Sprintf("%.2f", v[i]))
	}
	return strings.Join(parts, " ")
}
