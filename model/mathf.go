package model

import "math"

// expf is exp for float32 inputs with a relative error below 2e-7: range
// reduction x = n·ln2 + r, |r| ≤ ln2/2, and a degree-6 Taylor polynomial for
// e^r. It is several times faster than math.Exp, which matters because the
// softmax over the vocabulary calls it B·T·V times per step.
func expf(x float32) float32 {
	if x < -87 {
		return 0
	}
	if x > 88 {
		return float32(math.Inf(1))
	}
	const ln2hi, ln2lo = 0.693359375, -2.12194440e-4
	n := float32(math.Floor(float64(x*1.44269504088896341 + 0.5)))
	r := x - n*ln2hi - n*ln2lo
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// tanhf is tanh for float32 inputs built on expf.
func tanhf(x float32) float32 {
	if x > 9 {
		return 1
	}
	if x < -9 {
		return -1
	}
	if x > -0.0625 && x < 0.0625 {
		// 1 - 2/(e^{2x}+1) cancels badly near zero; use the odd series.
		x2 := x * x
		return x * (1 + x2*(-1.0/3+x2*(2.0/15+x2*(-17.0/315))))
	}
	e := expf(2 * x)
	return 1 - 2/(e+1)
}
