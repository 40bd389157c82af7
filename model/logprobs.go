package model

import "math"

// TokenLogProbs writes into dst (B*T values, indexed like the batch) the
// log-probability of each target of the last forward pass with targets,
// and 0 where there is none. It reads the per-target losses, so it is valid
// after ForwardBatch and ForwardTrainBatch alike, until Backward; after
// ForwardTrainBatch, targets of weight 0 read 0 too (see Losses).
func (m *Model) TokenLogProbs(dst []float32) {
	for i, l := range m.Losses() {
		if m.batch.Targets[i] < 0 {
			dst[i] = 0
			continue
		}
		dst[i] = -l
	}
}

// TokenEntropy returns the entropy (nats) of the next-token distribution at
// position t of row b of the last ForwardBatch (not valid after
// ForwardTrainBatch or Backward, which turn the logits into gradients).
// Vocab, when positive, limits the distribution to ids below it, as
// Sampler.Vocab limits draws.
func (m *Model) TokenEntropy(b, t, vocab int) float64 {
	logits := m.Logits(b, t)
	if vocab > 0 && vocab < len(logits) {
		logits = logits[:vocab]
	}
	maxv := float64(logits[0])
	for _, v := range logits {
		maxv = math.Max(maxv, float64(v))
	}
	// H = log Z − Σ p·x with x the shifted logits and Z = Σ exp(x).
	var z, ex float64
	for _, v := range logits {
		x := float64(v) - maxv
		e := math.Exp(x)
		z += e
		ex += e * x
	}
	return math.Log(z) - ex/z
}
