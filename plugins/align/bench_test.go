package align

import (
	"testing"

	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// benchPairs encodes 8 pairs for the step benchmarks.
func benchPairs(b *testing.B) (*Policy, []EncodedPair) {
	p, err := LoadPolicy(chatCheckpoint(b), "")
	if err != nil {
		b.Fatal(err)
	}
	enc, _, err := EncodePairs(p.Encoder, testPairs(8), Truncation{MaxLength: 128, MaxPromptLength: 64})
	if err != nil {
		b.Fatal(err)
	}
	return p, enc
}

// benchSteps runs loss steps over micro-batches of all pairs and reports
// pairs and tokens per second.
func benchSteps(b *testing.B, m *model.Model, pairs []EncodedPair, loss func(*pairRows) trainer.Loss) {
	rows, batch := dpoBatch(b, pairs)
	l := loss(rows)
	tokens := 0
	for _, r := range batch.Seg {
		if r == 0 {
			tokens++
		}
	}
	b.ResetTimer()
	for range b.N {
		rows.queue = append(rows.queue[:0], make([]int, len(pairs))...)
		for i := range rows.queue {
			rows.queue[i] = i
		}
		m.ZeroGrad()
		if _, err := l.Step(m, batch, 1/float32(len(pairs))); err != nil {
			b.Fatal(err)
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*len(pairs))/s, "pairs/s")
	b.ReportMetric(float64(b.N*tokens)/s, "tokens/s")
}

// BenchmarkDPOStep measures one forward and backward pass of the DPO loss.
func BenchmarkDPOStep(b *testing.B) {
	p, pairs := benchPairs(b)
	ref := make([][2]float64, len(pairs))
	benchSteps(b, p.Model, pairs, func(r *pairRows) trainer.Loss {
		return &dpoStep{loss: PreferenceLoss{Type: LossSigmoid, Beta: 0.1}, rows: r, ref: ref}
	})
}

// BenchmarkRewardStep measures one forward and backward pass of the
// Bradley-Terry loss through the score head.
func BenchmarkRewardStep(b *testing.B) {
	p, pairs := benchPairs(b)
	h, err := p.Model.AttachScore(1)
	if err != nil {
		b.Fatal(err)
	}
	benchSteps(b, p.Model, pairs, func(r *pairRows) trainer.Loss { return &rewardStep{head: h, rows: r} })
}
