package kernel

import "math"

// SoftmaxCrossEntropy computes, for each row i < N of logits[N,V], the loss
// losses[i] = logsumexp(logits[i]) - logits[i][targets[i]] and, when dlogits
// is not nil, overwrites dlogits[i] = (softmax(logits[i]) - onehot(targets[i]))·gradScale
// (gradScale is dloss/dlosses[i], e.g. 1/(B·T)), times weights[i] when
// weights is not nil. A negative target masks the row: its loss and gradient
// are 0. Weights scale only the gradient; losses stay unweighted. dlogits may
// alias logits.
func SoftmaxCrossEntropy(losses, dlogits, logits []float32, targets []int32, weights []float32, N, V int, gradScale float32) {
	p := acquire()
	defer p.release()
	o := &p.ops.ce
	*o = crossEntropyOp{losses: losses, dlogits: dlogits, logits: logits, targets: targets, weights: weights, V: V, scale: gradScale}
	p.parallelRange(o, N, rowGrain(N, p.n))
	*o = crossEntropyOp{}
}

// rowGrain is the rows per work item of the vocabulary-wide row kernels:
// four (128 KB of logits at V = 8192), fewer when there are few rows to
// share. One row per item cost 30% more at two threads than four.
func rowGrain(N, threads int) int { return max(1, min(4, N/(2*threads))) }

// Softmax overwrites probs[i] = softmax(logits[i]) for the N rows of
// logits[N,V]. probs may alias logits.
func Softmax(probs, logits []float32, N, V int) {
	p := acquire()
	defer p.release()
	o := &p.ops.ce
	*o = crossEntropyOp{softmax: true, dlogits: probs, logits: logits, V: V}
	p.parallelRange(o, N, rowGrain(N, p.n))
	*o = crossEntropyOp{}
}

type crossEntropyOp struct {
	softmax                 bool
	losses, dlogits, logits []float32
	targets                 []int32
	weights                 []float32
	V                       int
	scale                   float32
}

func (o *crossEntropyOp) rangeRun(lo, hi int, _ *scratch) {
	V := o.V
	for r := lo; r < hi; r++ {
		x := o.logits[r*V : (r+1)*V]
		if o.softmax {
			d := o.dlogits[r*V : (r+1)*V]
			s := expShift(d, x, maxf(x))
			Scale(1/s, d)
			continue
		}
		t := int(o.targets[r])
		if t < 0 {
			o.losses[r] = 0
			if o.dlogits != nil {
				clear(o.dlogits[r*V : (r+1)*V])
			}
			continue
		}
		xt := x[t]
		m := maxf(x)
		var s float32
		if o.dlogits != nil {
			scale := o.scale
			if o.weights != nil {
				scale *= o.weights[r]
			}
			d := o.dlogits[r*V : (r+1)*V]
			s = expShift(d, x, m)
			Scale(scale/s, d)
			d[t] -= scale
		} else {
			s = expSum(x, m)
		}
		o.losses[r] = m + float32(math.Log(float64(s))) - xt
	}
}

// expShift sets dst[i] = exp(x[i]-m) and returns their sum (fixed order).
func expShiftGo(dst, x []float32, m float32) float32 {
	dst = dst[:len(x)]
	var s [8]float32
	for i, v := range x {
		e := expf(v - m)
		dst[i] = e
		s[i&7] += e
	}
	return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]))
}

// expSum returns Σ exp(x[i]-m) without storing the terms.
func expSumGo(x []float32, m float32) float32 {
	var s [8]float32
	for i, v := range x {
		s[i&7] += expf(v - m)
	}
	return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]))
}
