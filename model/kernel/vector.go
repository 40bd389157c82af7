package kernel

import "math"

// Axpy computes y += a·x over len(x) elements (y must be at least as long).
func Axpy(a float32, x, y []float32) { axpy(a, x, y[:len(x)]) }

func axpyGo(a float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}

// axpyUnit computes y += x.
func axpyUnit(y, x []float32) { axpy(1, x, y[:len(x)]) }

// Dot returns Σ x[i]·y[i] over len(x) elements, summed in a fixed order.
func Dot(x, y []float32) float32 { return dot(x, y[:len(x)]) }

func dotGo(x, y []float32) float32 {
	y = y[:len(x)]
	// Eight partial sums break the add dependency chain; the fixed
	// combination order keeps the result reproducible.
	var s [8]float32
	i := 0
	for ; i+8 <= len(x); i += 8 {
		xs, ys := x[i:i+8:i+8], y[i:i+8:i+8]
		s[0] += xs[0] * ys[0]
		s[1] += xs[1] * ys[1]
		s[2] += xs[2] * ys[2]
		s[3] += xs[3] * ys[3]
		s[4] += xs[4] * ys[4]
		s[5] += xs[5] * ys[5]
		s[6] += xs[6] * ys[6]
		s[7] += xs[7] * ys[7]
	}
	for ; i < len(x); i++ {
		s[i&7] += x[i] * y[i]
	}
	return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]))
}

// Scale computes x *= a.
func Scale(a float32, x []float32) { scale(a, x) }

func scaleGo(a float32, x []float32) {
	for i := range x {
		x[i] *= a
	}
}

// Sum returns Σ x[i], summed in a fixed order.
func Sum(x []float32) float32 { return sum(x) }

// Max returns the largest element of x, or -Inf when x is empty.
func Max(x []float32) float32 { return maxf(x) }

func maxGo(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	return m
}

func sumGo(x []float32) float32 {
	var s [8]float32
	i := 0
	for ; i+8 <= len(x); i += 8 {
		xs := x[i : i+8 : i+8]
		for j := range s {
			s[j] += xs[j]
		}
	}
	for ; i < len(x); i++ {
		s[i&7] += x[i]
	}
	return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]))
}

// expf is a float32 exp accurate to about 2 ulp (Cephes expf polynomial
// after reducing x by multiples of ln 2). Inputs below -86.5 return
// exp(-86.5) ≈ 2.7e-38 rather than 0; above 88.72 they return +Inf.
func expf(x float32) float32 {
	if x > 88.72283 {
		return float32(math.Inf(1))
	}
	if x < -86.5 {
		x = -86.5
	}
	n := float32(math.Floor(float64(x*1.44269504088896341 + 0.5)))
	r := x - n*0.693359375
	r -= n * -2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	// 2^(n-1)·2 keeps n = 128 (x near 88.7) finite.
	return y * math.Float32frombits(uint32(int32(n)+126)<<23) * 2
}

// tanhf computes tanh from expf: 1 - 2/(e^{2u}+1) saturates cleanly at ±1.
func tanhf(u float32) float32 {
	return 1 - 2/(expf(2*u)+1)
}
