package align

import (
	"math"
	"testing"
)

func TestClippedPolicyHandValues(t *testing.T) {
	ln := math.Log
	for _, c := range []struct {
		name                string
		logp, old, adv, eps float64
		loss, dLogp         float64
		clipped             bool
	}{
		// r = 1: both terms equal −A; the gradient is −A·r.
		{"ratio one", 0, 0, 2, 0.2, -2, -2, false},
		// r = 1.5 > 1.2 with A > 0: the clipped −1.2·A wins, no gradient.
		{"above band, positive advantage", ln(1.5), 0, 1, 0.2, -1.2, 0, true},
		// r = 1.5 with A < 0: −A·r = 1.5·|A| is larger and keeps its gradient.
		{"above band, negative advantage", ln(1.5), 0, -1, 0.2, 1.5, 1.5, false},
		// r = 0.5 < 0.8 with A < 0: the clipped 0.8·|A| wins.
		{"below band, negative advantage", ln(0.5), 0, -2, 0.2, 1.6, 0, true},
		// r = 0.5 with A > 0: −A·r = −1 beats −0.8·2 = −1.6.
		{"below band, positive advantage", ln(0.5), 0, 2, 0.2, -1, -1, false},
		// Inside the band nothing is clipped.
		{"inside band", ln(1.1), 0, 3, 0.2, -3.3, -3.3, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			loss, d, clipped := clippedPolicy(c.logp, c.old, c.adv, c.eps)
			if math.Abs(loss-c.loss) > 1e-9 || math.Abs(d-c.dLogp) > 1e-9 || clipped != c.clipped {
				t.Errorf("loss %g, dlogp %g, clipped %v; want %g, %g, %v", loss, d, clipped, c.loss, c.dLogp, c.clipped)
			}
			// The derivative is the loss's slope (away from the band's edges).
			const h = 1e-6
			lp, _, _ := clippedPolicy(c.logp+h, c.old, c.adv, c.eps)
			lm, _, _ := clippedPolicy(c.logp-h, c.old, c.adv, c.eps)
			if num := (lp - lm) / (2 * h); math.Abs(num-d) > 1e-5 {
				t.Errorf("dlogp %g, numerical %g", d, num)
			}
		})
	}
}

func TestClippedValueHandValues(t *testing.T) {
	for _, c := range []struct {
		name             string
		v, old, ret, eps float64
		loss, dV         float64
		clipped          bool
	}{
		{"inside band", 1.1, 1, 2, 0.2, 0.5 * 0.81, -0.9, false},
		// v moved 1 past old toward the return: the clipped 1.2 is further from 3, its loss wins.
		{"moved too far toward the return", 2, 1, 3, 0.2, 0.5 * 1.8 * 1.8, 0, true},
		// v moved away from the return: the unclipped loss is larger.
		{"moved away from the return", 0, 1, 3, 0.2, 0.5 * 9, -3, false},
		{"overshot the return", 5, 1, 3, 0.2, 0.5 * 4, 2, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			loss, d, clipped := clippedValue(c.v, c.old, c.ret, c.eps)
			if math.Abs(loss-c.loss) > 1e-9 || math.Abs(d-c.dV) > 1e-9 || clipped != c.clipped {
				t.Errorf("loss %g, dv %g, clipped %v; want %g, %g, %v", loss, d, clipped, c.loss, c.dV, c.clipped)
			}
		})
	}
}

func TestKLController(t *testing.T) {
	c := klController{Coef: 0.2, Target: 6, Horizon: 10000}
	c.update(12, 100) // KL twice the target: the error clips at +0.2
	if want := 0.2 * (1 + 0.2*100/10000.0); math.Abs(c.Coef-want) > 1e-15 {
		t.Errorf("coef %g, want %g", c.Coef, want)
	}
	c = klController{Coef: 0.2, Target: 6, Horizon: 100}
	c.update(5.4, 10) // error −0.1
	if want := 0.2 * (1 - 0.1*10/100.0); math.Abs(c.Coef-want) > 1e-12 {
		t.Errorf("coef %g, want %g", c.Coef, want)
	}
	fixed := klController{Coef: 0.3}
	fixed.update(100, 64)
	if fixed.Coef != 0.3 {
		t.Errorf("a fixed coefficient moved to %g", fixed.Coef)
	}
}
