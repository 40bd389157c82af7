package align

import (
	"context"
	"testing"
)

// BenchmarkPPOStep times whole PPO steps (sampling, scoring, reference and
// policy passes, ppo_epochs × mini_batches updates) on the tiny synthetic
// policy and reports response tokens per second.
func BenchmarkPPOStep(b *testing.B) {
	f := newPPOFixtureIn(b, b.TempDir(), 32, 100, 20)
	cfg := testPPOConfig()
	cfg.BatchSize, cfg.MiniBatches, cfg.PPOEpochs, cfg.MaxNewTokens = 16, 4, 4, 16
	p, err := preparePPO(context.Background(), cfg, ppoInputs(f, writePPOPrompts(b, ppoNouns), ""), newRecEvents())
	if err != nil {
		b.Fatal(err)
	}
	var tokens float64
	b.ResetTimer()
	for range b.N {
		st, _, err := p.runStep(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		tokens += st.responseLen * float64(cfg.BatchSize)
	}
	b.ReportMetric(tokens/b.Elapsed().Seconds(), "tokens/s")
}
