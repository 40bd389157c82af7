package align

import (
	"math"
	"testing"

	"github.com/llmflow/llmflow/model"
)

// gaeByDefinition is A_t = Σ_l (γλ)^l δ_{t+l} with δ_t = r_t + γ·V_{t+1} − V_t
// and V past the end 0, summed term by term.
func gaeByDefinition(r, v []float64, gamma, lambda float64) []float64 {
	n := len(r)
	value := func(t int) float64 {
		if t >= n {
			return 0
		}
		return v[t]
	}
	adv := make([]float64, n)
	for t := range n {
		for l := 0; t+l < n; l++ {
			delta := r[t+l] + gamma*value(t+l+1) - value(t+l)
			adv[t] += math.Pow(gamma*lambda, float64(l)) * delta
		}
	}
	return adv
}

func TestGAEMatchesDefinition(t *testing.T) {
	rng := model.NewRNG(3)
	for _, c := range []struct {
		n             int
		gamma, lambda float64
	}{{1, 1, 0.95}, {5, 1, 0.95}, {17, 0.99, 0.9}, {8, 0.5, 0}, {8, 1, 1}, {12, 0, 0.7}} {
		r, v := make([]float64, c.n), make([]float64, c.n)
		for i := range r {
			r[i], v[i] = rng.Normal(), rng.Normal()
		}
		adv, ret := GAE(r, v, c.gamma, c.lambda)
		want := gaeByDefinition(r, v, c.gamma, c.lambda)
		for i := range adv {
			if math.Abs(adv[i]-want[i]) > 1e-12 || math.Abs(ret[i]-(want[i]+v[i])) > 1e-12 {
				t.Errorf("n=%d γ=%g λ=%g: t=%d advantage %g return %g, want %g and %g", c.n, c.gamma, c.lambda, i, adv[i], ret[i], want[i], want[i]+v[i])
			}
		}
	}
}

// TestGAEMonteCarlo: with γ = λ = 1 the return of each token is the sum of
// the rewards from it to the end, whatever the values.
func TestGAEMonteCarlo(t *testing.T) {
	_, ret := GAE([]float64{0.5, -1, 2}, []float64{9, -3, 4}, 1, 1)
	for i, want := range []float64{1.5, 1, 2} {
		if math.Abs(ret[i]-want) > 1e-12 {
			t.Errorf("return %d = %g, want %g", i, ret[i], want)
		}
	}
}

func TestWhiten(t *testing.T) {
	rows := [][]float64{{1, 2}, {3}, {4, 5, 6}}
	Whiten(rows)
	var sum, ss float64
	n := 0
	for _, r := range rows {
		for _, v := range r {
			sum += v
			ss += v * v
			n++
		}
	}
	if math.Abs(sum) > 1e-12 || math.Abs(ss/float64(n-1)-1) > 1e-6 {
		t.Errorf("whitened %v: sum %g, variance %g", rows, sum, ss/float64(n-1))
	}
	// (1 − 3.5)/√3.5: the unbiased standard deviation of 1..6 is √3.5.
	if want := -2.5 / math.Sqrt(3.5); math.Abs(rows[0][0]-want) > 1e-6 {
		t.Errorf("first value %g, want %g", rows[0][0], want)
	}
	one := [][]float64{{4}}
	Whiten(one)
	if one[0][0] != 0 {
		t.Errorf("a single value whitens to %g, want 0", one[0][0])
	}
}
