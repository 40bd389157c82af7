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

// optimise takes one optimizer step on the mini-batch rs: the clipped
// surrogate plus vf_coef times the clipped value loss, each the mean over
// the mini-batch's response tokens, from one forward pass of the policy.
func (p *ppo) optimise(rs []*rollout, st *optStats) error {
	m, c := p.policy, p.cfg
	pk := pack(rs, p.pad)
	N := pk.b.B * pk.b.T
	pk.b.Weights = p.buf.weights(N)
	m.ZeroGrad()
	if _, _, err := m.ForwardBatch(pk.b); err != nil {
		return err
	}
	lp := p.buf.logp(N)
	m.TokenLogProbs(lp)
	vals := p.value.Forward(pk.flat)
	n := float64(len(pk.flat))
	dOut := make([]float32, len(pk.flat))
	k := 0
	for i, r := range rs {
		for j, at := range pk.pos[i] {
			l := float64(lp[at])
			pl, dl, clipped := clippedPolicy(l, r.logp[j], r.adv[j], c.ClipRange)
			// Backward takes the gradient of Σ weight·(−log p): weight = −∂loss/∂log p.
			pk.b.Weights[at] = float32(-dl)
			vl, dv, vclipped := clippedValue(float64(vals[k]), r.values[j], r.ret[j], c.ClipRangeValue)
			dOut[k] = float32(c.VFCoef * dv / n)
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
	if err := m.BackwardHidden(float32(1/n), dHidden); err != nil {
		return err
	}
	st.gradNorm += m.ClipGrads(c.GradClip)
	st.steps++
	p.opt.Update(m, float32(c.LR))
	return nil
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
