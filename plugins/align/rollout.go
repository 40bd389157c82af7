package align

import (
	"github.com/llmflow/llmflow/model"
)

// rollout is one sampled response to a prompt and what PPO derives from
// it, one value per response token.
type rollout struct {
	prompt, response []int32
	// logp and values come from the policy that sampled the response, refLogp
	// from the reference; entropy is the sum over the response's tokens.
	logp, refLogp, values []float64
	entropy               float64
	score                 float64
	rewards, adv, ret     []float64
}

// kl is the response's log-ratio to the reference, Σ log π − log π_ref: a
// sample of the KL between the policy and the reference.
func (r *rollout) kl() float64 {
	var s float64
	for i, l := range r.logp {
		s += l - r.refLogp[i]
	}
	return s
}

// setRewards writes the per-token rewards: the KL penalty
// −coef·(log π − log π_ref) at every token, plus the reward model's score
// at the last.
func (r *rollout) setRewards(coef float64) {
	r.rewards = make([]float64, len(r.response))
	for i, l := range r.logp {
		r.rewards[i] = -coef * (l - r.refLogp[i])
	}
	r.rewards[len(r.rewards)-1] += r.score
}

// packed is rollouts laid out as one batch: row i holds rollout i's prompt
// and response without its last token, right-padded, with the response
// tokens as targets. pos[i][j] is the flat index of the position that
// predicts response token j; flat lists them all in order.
type packed struct {
	b    model.Batch
	pos  [][]int
	flat []int
}

// pack lays out rs; pad fills the positions after a row's end (causal
// attention keeps them from every real position).
func pack(rs []*rollout, pad int32) packed {
	T := 0
	for _, r := range rs {
		T = max(T, len(r.prompt)+len(r.response)-1)
	}
	B := len(rs)
	// Only the responses' positions are read: their log-probabilities,
	// entropies and gradients.
	p := packed{b: model.Batch{B: B, T: T, Inputs: make([]int32, B*T), Targets: make([]int32, B*T), HeadOnTargets: true}, pos: make([][]int, B)}
	for i := range p.b.Inputs {
		p.b.Inputs[i], p.b.Targets[i] = pad, -1
	}
	for i, r := range rs {
		row := p.b.Inputs[i*T : (i+1)*T]
		n := copy(row, r.prompt)
		copy(row[n:], r.response[:len(r.response)-1])
		start := i*T + len(r.prompt) - 1
		p.pos[i] = make([]int, len(r.response))
		for j, id := range r.response {
			p.b.Targets[start+j] = id
			p.pos[i][j] = start + j
			p.flat = append(p.flat, start+j)
		}
	}
	return p
}

// chunks calls fn on consecutive groups of at most n rollouts.
func chunks(rs []*rollout, n int, fn func(part []*rollout) error) error {
	for lo := 0; lo < len(rs); lo += n {
		if err := fn(rs[lo:min(lo+n, len(rs))]); err != nil {
			return err
		}
	}
	return nil
}

// policyStats fills logp, values and entropy of rs from forward passes of
// the policy m with value head v, rows rollouts at a time; vocab bounds the
// entropy's distribution as it bounds sampling.
func policyStats(m *model.Model, v *model.Head, rs []*rollout, rows, vocab int, pad int32) error {
	return chunks(rs, rows, func(part []*rollout) error {
		p := pack(part, pad)
		if _, _, err := m.ForwardBatch(p.b); err != nil {
			return err
		}
		lp := make([]float32, p.b.B*p.b.T)
		m.TokenLogProbs(lp)
		vals := v.Forward(p.flat)
		k := 0
		for i, r := range part {
			n := len(r.response)
			r.logp, r.values, r.entropy = make([]float64, n), make([]float64, n), 0
			for j, at := range p.pos[i] {
				r.logp[j] = float64(lp[at])
				r.values[j] = float64(vals[k])
				r.entropy += m.TokenEntropy(at/p.b.T, at%p.b.T, vocab)
				k++
			}
		}
		return nil
	})
}

// refLogProbs fills refLogp of rs from forward passes of the reference.
func refLogProbs(ref *model.Model, rs []*rollout, rows int, pad int32) error {
	return chunks(rs, rows, func(part []*rollout) error {
		p := pack(part, pad)
		if _, _, err := ref.ForwardBatch(p.b); err != nil {
			return err
		}
		lp := make([]float32, p.b.B*p.b.T)
		ref.TokenLogProbs(lp)
		for i, r := range part {
			r.refLogp = make([]float64, len(r.response))
			for j, at := range p.pos[i] {
				r.refLogp[j] = float64(lp[at])
			}
		}
		return nil
	})
}

// advantages computes every rollout's GAE advantages and returns, then
// whitens the advantages over the whole batch.
func advantages(rs []*rollout, gamma, lambda float64) {
	all := make([][]float64, len(rs))
	for i, r := range rs {
		r.adv, r.ret = GAE(r.rewards, r.values, gamma, lambda)
		all[i] = r.adv
	}
	Whiten(all)
}
