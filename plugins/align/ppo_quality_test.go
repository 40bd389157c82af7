package align

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestPPOQuality measures issue 12's PPO target on the synthetic task: the
// held-out prompts' mean reward-model score of the policy's greedy answers
// rises by at least one standard deviation of the SFT policy's scores,
// while the mean KL to the reference stays within the controller's target.
// It runs with LLMFLOW_QUALITY=1; PPO_STEPS overrides the number of steps.
func TestPPOQuality(t *testing.T) {
	if os.Getenv("LLMFLOW_QUALITY") == "" {
		t.Skip("set LLMFLOW_QUALITY=1 to run the ppo quality run")
	}
	f := newPPOFixtureIn(t, t.TempDir(), 32, 400, 200)
	cfg := DefaultPPOConfig()
	cfg.Steps, cfg.BatchSize, cfg.MiniBatches, cfg.PPOEpochs, cfg.LR, cfg.MaxNewTokens, cfg.Seed = 60, 16, 4, 4, 5e-4, 10, 1
	// A short run: a horizon of 1000 rollouts lets the controller act within it.
	cfg.Horizon = 1000
	if s, err := strconv.Atoi(os.Getenv("PPO_STEPS")); err == nil {
		cfg.Steps = s
	}
	prompts, val := writePPOPrompts(t, ppoNouns[:28]), writePPOPrompts(t, ppoNouns[28:])
	ev := newRecEvents()
	out := t.TempDir()
	res, err := TrainPPO(context.Background(), cfg, ppoInputs(f, prompts, val), out, ev)
	if err != nil {
		t.Fatal(err)
	}
	b, a := res.Before, res.After
	ci := func(std float64, n int) float64 { return 1.96 * std / math.Sqrt(float64(n)) }
	t.Logf("held-out prompts: %d; SFT policy score %.3f ± %.3f (95%% CI, std %.3f); PPO policy %.3f ± %.3f (std %.3f); gain %.2f std; mean KL %.3f (target %g)",
		b.N, b.ScoreMean, ci(b.ScoreStd, b.N), b.ScoreStd, a.ScoreMean, ci(a.ScoreStd, a.N), a.ScoreStd, (a.ScoreMean-b.ScoreMean)/b.ScoreStd, a.KL, cfg.TargetKL)
	if s := ev.metrics["score_mean"]; len(s) > 0 {
		t.Logf("rollout score: first step %.3f, last step %.3f; kl %.3f, kl_coef %.4f", s[0], s[len(s)-1], ev.last(t, "kl"), ev.last(t, "kl_coef"))
	}
	rows, err := readReportRows(filepath.Join(out, "report", "rollouts.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[max(0, len(rows)-4):] {
		t.Logf("step %d: %q score %.3f kl %.3f", r.Step, r.Response, r.Score, r.KL)
	}
	if a.ScoreMean-b.ScoreMean < b.ScoreStd {
		t.Errorf("held-out score rose by %.3f, less than one standard deviation (%.3f)", a.ScoreMean-b.ScoreMean, b.ScoreStd)
	}
	if a.KL > cfg.TargetKL {
		t.Errorf("mean KL to the reference %.3f exceeds the target %g", a.KL, cfg.TargetKL)
	}
}
