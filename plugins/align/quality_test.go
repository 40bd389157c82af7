package align

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/preference"
	"github.com/llmflow/llmflow/internal/testenv"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/eval"
	"github.com/llmflow/llmflow/plugins/sft"
	"github.com/llmflow/llmflow/plugins/sft/sfttest"
)

// alignCase is one data set of the quality run and its step counts.
type alignCase struct {
	name, file, shape string
	block             int
	// Optimizer steps of each stage; reward or dpo 0 skips that stage.
	pretrain, sft, reward, dpo int
	// corpus names testenv corpora (comma-separated) the base model also
	// pretrains on.
	corpus string
	// base is the base model's shape: layers, heads, width.
	base sfttest.Base
}

// logEvents records metrics and logs lines to the test.
type logEvents struct {
	*recEvents
	t *testing.T
}

func (e logEvents) Log(line string) { e.t.Log(line) }

// TestAlignQuality measures the targets of the alignment stages on the
// shared preference data: a seeded 20% of the records is held out; a small
// GPT-2 is pretrained on the training pairs' transcripts (and English
// text) and fine-tuned (sft) on their chosen answers, then a reward model
// and a DPO policy are trained from it. It prints the held-out pairwise
// accuracy of the reward model and the held-out implicit-reward accuracy
// of DPO, each with its 95% Wilson interval, beside what the answers'
// lengths alone get. Targets: both ≥ 0.62 on HH. Stages run for step
// counts, so a run computes the same on a busy machine, only slower.
//
// It runs only with LLMFLOW_QUALITY=1. ALIGN_CASE picks a case by name,
// ALIGN_STAGES ("reward", "dpo" or both) the stages after sft; ALIGN_STEPS
// replaces the reward and dpo step counts; ALIGN_PRETRAIN and ALIGN_CORPUS
// replace the base's pretraining steps and corpora (empty: none);
// ALIGN_SHAPE replaces the base's shape, layers×heads×width as in 6x6x192;
// ALIGN_REWARD and ALIGN_DPO change those stages' settings (see overlay);
// ALIGN_BASE names a directory that keeps the sft base for later runs.
func TestAlignQuality(t *testing.T) {
	if os.Getenv("LLMFLOW_QUALITY") == "" {
		t.Skip("set LLMFLOW_QUALITY=1 to run the alignment quality run")
	}
	for _, ac := range []alignCase{
		{name: "hh", file: "preference/hh_rlhf_harmless_base_test.jsonl", shape: preference.ShapeHH, block: 256,
			pretrain: 2400, sft: 300, reward: 600, dpo: 300, corpus: "wiki,c4", base: sfttest.Base{Layers: 6, Heads: 6, Width: 192}},
		{name: "oasst1_zh", file: "preference/oasst1_zh_rm.jsonl", shape: preference.ShapeRanked, block: 512,
			pretrain: 400, sft: 100, reward: 100, corpus: "xiyouji", base: sfttest.Base{Layers: 4, Heads: 4, Width: 128}},
	} {
		if c := os.Getenv("ALIGN_CASE"); c != "" && c != ac.name {
			continue
		}
		if st := os.Getenv("ALIGN_STAGES"); st != "" { // e.g. "reward": skip dpo
			if !strings.Contains(st, "reward") {
				ac.reward = 0
			}
			if !strings.Contains(st, "dpo") {
				ac.dpo = 0
			}
		}
		if s := os.Getenv("ALIGN_STEPS"); s != "" { // a quick trial of the alignment stages
			n := atoiEnv(t, "ALIGN_STEPS", s)
			for _, v := range []*int{&ac.reward, &ac.dpo} {
				if *v != 0 {
					*v = n
				}
			}
		}
		if s := os.Getenv("ALIGN_PRETRAIN"); s != "" { // another base
			ac.pretrain = atoiEnv(t, "ALIGN_PRETRAIN", s)
		}
		if s, ok := os.LookupEnv("ALIGN_CORPUS"); ok { // empty: the pairs' transcripts alone
			ac.corpus = s
		}
		if s := os.Getenv("ALIGN_SHAPE"); s != "" { // a wider or deeper base
			ac.base = parseShape(t, s)
		}
		t.Run(ac.name, func(t *testing.T) { alignRun(t, ac) })
	}
}

func alignRun(t *testing.T, ac alignCase) {
	ctx := context.Background()
	train, val := ingestSplit(t, ac)
	t.Logf("%s: %d training pairs, %d held-out pairs", ac.name, len(train.Pairs), len(val.Pairs))
	hits, n := lengthBaseline(train.Pairs, val.Pairs)
	lo, hi := eval.Wilson(hits, n)
	fmt.Printf("QUALITY %s length baseline (the answer of the length the training pairs favour) held-out accuracy %.3f (95%% CI %.3f-%.3f, %d pairs)\n",
		ac.name, float64(hits)/float64(n), lo, hi, n)
	base := sftBase(t, ac, train.Pairs)
	ev := logEvents{newRecEvents(), t}
	if ac.reward != 0 {
		p, err := LoadPolicy(base, "")
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultRewardConfig()
		cfg.MaxSteps, cfg.BatchSize, cfg.LR, cfg.MinLR, cfg.Warmup = ac.reward, 16, 1e-4, 1e-5, 20
		// Held-out pairs are scored once, at the end.
		cfg.EvalEvery, cfg.LogEvery, cfg.Seed = 0, 50, 1
		// The score is read at the last token, after the answer, where the
		// two sequences of a pair differ: an eighth of the block for the
		// prompt (the end of its last turn) leaves more of the answers
		// inside it. On HH it lifted held-out accuracy over half the block.
		cfg.MaxPromptLength = ac.block / 8
		overlay(t, "ALIGN_REWARD", &cfg)
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
	if ac.dpo != 0 {
		p, err := LoadPolicy(base, "")
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultDPOConfig()
		cfg.MaxSteps, cfg.BatchSize, cfg.LR, cfg.MinLR, cfg.Warmup = ac.dpo, 16, 5e-4, 5e-5, 20
		cfg.EvalEvery, cfg.LogEvery, cfg.Seed = 0, 50, 1
		cfg.MaxPromptLength = ac.block / 2
		overlay(t, "ALIGN_DPO", &cfg)
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

// parseShape reads a base's shape written layers×heads×width, as 6x6x192.
func parseShape(t *testing.T, s string) sfttest.Base {
	var b sfttest.Base
	if _, err := fmt.Sscanf(s, "%dx%dx%d", &b.Layers, &b.Heads, &b.Width); err != nil || b.Layers <= 0 || b.Heads <= 0 || b.Width%b.Heads != 0 {
		t.Fatalf("ALIGN_SHAPE %q: want layers x heads x width with width a multiple of heads, as 6x6x192", s)
	}
	return b
}

func atoiEnv(t *testing.T, name, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}

// overlay decodes the JSON object in the environment variable name, if
// set, over cfg: settings by their Go field names, as in
// ALIGN_REWARD='{"LR": 0.001, "TrainableLayers": 2}'.
func overlay(t *testing.T, name string, cfg any) {
	if s := os.Getenv(name); s != "" {
		if err := json.Unmarshal([]byte(s), cfg); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %+v", name, cfg)
	}
}

// lengthBaseline is what a trivial feature gets: it picks the shorter
// answer of every held-out pair, or the longer one if the training pairs'
// chosen answers are longer more often. A tie counts as a miss.
func lengthBaseline(train, val []preference.Pair) (hits, n int) {
	shorter := 0
	for _, p := range train {
		switch {
		case len(p.Chosen) < len(p.Rejected):
			shorter++
		case len(p.Chosen) > len(p.Rejected):
			shorter--
		}
	}
	for _, p := range val {
		c, r := len(p.Chosen), len(p.Rejected)
		if (shorter >= 0 && c < r) || (shorter < 0 && c > r) {
			hits++
		}
	}
	return hits, len(val)
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
// transcripts of pairs, chosen and rejected (and the case's corpora),
// fine-tunes it on the chosen answers with the sft stage, which adds the
// chat template, and returns the sft checkpoint. With ALIGN_BASE set it
// keeps the checkpoint there, under a name made of the case and its step
// counts, corpora and shape, and reuses one found there.
func sftBase(t *testing.T, ac alignCase, pairs []preference.Pair) string {
	ctx := context.Background()
	out := t.TempDir()
	if dir := os.Getenv("ALIGN_BASE"); dir != "" {
		out = filepath.Join(dir, fmt.Sprintf("%s-pretrain%d-sft%d-%s-%dx%dx%d", ac.name, ac.pretrain, ac.sft, ac.corpus,
			ac.base.Layers, ac.base.Heads, ac.base.Width))
		if _, err := os.Stat(filepath.Join(out, "model", model.ConfigFile)); err == nil {
			t.Logf("%s: reusing the sft base in %s", ac.name, out)
			return filepath.Join(out, "model")
		}
	}
	var docs, convs [][]chat.Message
	for _, p := range pairs {
		for i, answer := range []string{p.Chosen, p.Rejected} {
			conv := append(append([]chat.Message(nil), p.Prompt...), chat.Message{Role: chat.RoleAssistant, Content: answer})
			docs = append(docs, conv)
			if i == 0 {
				convs = append(convs, conv)
			}
		}
	}
	b := ac.base
	b.Block, b.Steps, b.Corpus = ac.block, ac.pretrain, ac.corpus
	pre := sfttest.Pretrain(t, b, docs)
	sc := sft.DefaultConfig()
	sc.BlockSize, sc.Overlong, sc.MaxSteps, sc.TimeBudget = ac.block, sft.OverlongTruncate, ac.sft, ""
	sc.BatchSize, sc.LR, sc.MinLR, sc.Warmup, sc.EvalEvery, sc.LogEvery, sc.Seed = 8, 1e-3, 1e-4, 30, 0, 100, 1
	sres, err := sft.Train(ctx, sc, sft.Inputs{ModelDir: pre, Train: convs, Val: [][]chat.Message{}}, out, logEvents{newRecEvents(), t})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: sft %d steps, train loss %.3f, checkpoint %s", ac.name, sres.Steps, sres.TrainLoss, sres.Dir)
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
