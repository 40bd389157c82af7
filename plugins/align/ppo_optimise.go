package align

// optStats sums what the optimisation steps of one PPO step measure.
type optStats struct {
	tokens                int
	policyLoss, valueLoss float64
	clipped, valueClipped int
	approxKL              float64
	gradNorm              float64
	steps                 int
}

// optimise takes one optimizer step on the mini-batch rs.
func (p *ppo) optimise(rs []*rollout, st *optStats) error {
	if _, err := p.gradients(rs, st); err != nil {
		return err
	}
	st.gradNorm += p.opt.UpdateClipped(p.policy, float32(p.cfg.LR), p.cfg.GradClip)
	st.steps++
	return nil
}

// gradients sets the policy's gradients (value head included) to those of
// the mini-batch's loss, the clipped surrogate plus vf_coef times the
// clipped value loss, each the mean over the response tokens, from one
// forward pass, and returns that loss.
func (p *ppo) gradients(rs []*rollout, st *optStats) (float64, error) {
	m, c := p.policy, p.cfg
	pk := pack(rs, p.pad)
	N := pk.b.B * pk.b.T
	pk.b.Weights = p.buf.weights(N)
	m.ZeroGrad()
	if _, _, err := m.ForwardBatch(pk.b); err != nil {
		return 0, err
	}
	lp := p.buf.logp(N)
	m.TokenLogProbs(lp)
	vals := p.value.Forward(pk.flat)
	n := float64(len(pk.flat))
	dOut := make([]float32, len(pk.flat))
	k := 0
	var loss float64
	for i, r := range rs {
		for j, at := range pk.pos[i] {
			l := float64(lp[at])
			pl, dl, clipped := clippedPolicy(l, r.logp[j], r.adv[j], c.ClipRange)
			// Backward takes the gradient of Σ weight·(−log p): weight = −∂loss/∂log p.
			pk.b.Weights[at] = float32(-dl)
			vl, dv, vclipped := clippedValue(float64(vals[k]), r.values[j], r.ret[j], c.ClipRangeValue)
			dOut[k] = float32(c.VFCoef * dv / n)
			loss += (pl + c.VFCoef*vl) / n
			st.policyLoss += pl
			st.valueLoss += vl
			st.approxKL += 0.5 * (l - r.logp[j]) * (l - r.logp[j])
			if clipped {
				st.clipped++
			}
			if vclipped {
				st.valueClipped++
			}
			k++
		}
	}
	st.tokens += len(pk.flat)
	dHidden := p.buf.hidden(N * m.Config.NEmbd)
	p.value.Backward(pk.flat, dOut, dHidden)
	return loss, m.BackwardHidden(float32(1/n), dHidden)
}

// buffers are the per-position scratch slices of optimise, grown as the
// mini-batches' lengths need and reused.
type buffers struct{ w, lp, dh []float32 }

func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

func (b *buffers) weights(n int) []float32 {
	b.w = grow(b.w, n)
	clear(b.w)
	return b.w
}

func (b *buffers) logp(n int) []float32 { b.lp = grow(b.lp, n); return b.lp }

func (b *buffers) hidden(n int) []float32 {
	b.dh = grow(b.dh, n)
	clear(b.dh)
	return b.dh
}
