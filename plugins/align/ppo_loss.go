package align

import "math"

// clippedPolicy is PPO's clipped surrogate loss of one token (Schulman et
// al. 2017), max(−A·r, −A·clip(r, 1−ε, 1+ε)) with r = exp(logp − oldLogp),
// its derivative with respect to logp, and whether the clipped term won.
func clippedPolicy(logp, oldLogp, adv, eps float64) (loss, dLogp float64, clipped bool) {
	r := math.Exp(logp - oldLogp)
	unclipped := -adv * r
	bounded := -adv * min(max(r, 1-eps), 1+eps)
	if bounded > unclipped {
		// The clipped term is flat in logp here: no gradient.
		return bounded, 0, true
	}
	return unclipped, -adv * r, false
}

// clippedValue is PPO's clipped value loss of one token,
// ½·max((v − R)², (oldV + clip(v − oldV, −ε, ε) − R)²), its derivative with
// respect to v, and whether the clipped term won.
func clippedValue(v, oldV, ret, eps float64) (loss, dV float64, clipped bool) {
	vc := oldV + min(max(v-oldV, -eps), eps)
	l1, l2 := (v-ret)*(v-ret), (vc-ret)*(vc-ret)
	if l2 > l1 {
		// vc differs from v only where v left the band, where it is constant.
		return 0.5 * l2, 0, true
	}
	return 0.5 * l1, v - ret, false
}

// klController adapts the KL penalty's coefficient toward a target KL
// (Ziegler et al. 2019): coef *= 1 + clip(KL/target − 1, −0.2, 0.2)·n/horizon
// after n rollouts whose mean KL was KL. Without a target it stays fixed.
type klController struct {
	Coef    float64 `json:"kl_coef"`
	Target  float64 `json:"-"`
	Horizon float64 `json:"-"`
}

func (c *klController) update(kl float64, n int) {
	if c.Target <= 0 {
		return
	}
	e := min(max(kl/c.Target-1, -0.2), 0.2)
	c.Coef *= 1 + e*float64(n)/c.Horizon
}
