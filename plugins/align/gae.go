package align

import "math"

// GAE returns the generalised advantage estimates (Schulman et al. 2016) and
// the returns (advantage + value) of one response, given the reward and the
// value estimate at each of its tokens. The response ends after its last
// token: the value past it is 0.
func GAE(rewards, values []float64, gamma, lambda float64) (adv, ret []float64) {
	n := len(rewards)
	adv, ret = make([]float64, n), make([]float64, n)
	var last float64
	for t := n - 1; t >= 0; t-- {
		next := 0.0
		if t+1 < n {
			next = values[t+1]
		}
		delta := rewards[t] + gamma*next - values[t]
		last = delta + gamma*lambda*last
		adv[t] = last
		ret[t] = last + values[t]
	}
	return adv, ret
}

// Whiten shifts and scales the values of every row together to mean 0 and
// standard deviation 1 (the unbiased estimate, as TRL's whiten), in place.
// Fewer than two values are only shifted.
func Whiten(rows [][]float64) {
	var n int
	var sum float64
	for _, r := range rows {
		for _, v := range r {
			sum += v
			n++
		}
	}
	if n == 0 {
		return
	}
	mean := sum / float64(n)
	var ss float64
	for _, r := range rows {
		for _, v := range r {
			ss += (v - mean) * (v - mean)
		}
	}
	scale := 1.0
	if n > 1 {
		scale = 1 / math.Sqrt(ss/float64(n-1)+1e-8)
	}
	for _, r := range rows {
		for i, v := range r {
			r[i] = (v - mean) * scale
		}
	}
}
