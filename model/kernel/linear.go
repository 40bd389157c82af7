package kernel

// MatMulForward computes out[BT,OC] = inp[BT,C] · weight[OC,C]ᵀ + bias[OC].
// bias may be nil.
func MatMulForward(out, inp, weight, bias []float32, BT, C, OC int) {
	if bias != nil {
		bias = bias[:OC]
	}
	// The micro-kernel adds the bias when it first stores a tile: no
	// separate pass over out.
	sgemmBias(false, true, BT, OC, C, 1, inp, C, weight, C, 0, out, OC, bias)
}

// MatMulBackward adds the gradients of MatMulForward given dout[BT,OC]:
// dinp[BT,C] += dout·weight, dweight[OC,C] += doutᵀ·inp and
// dbias[OC] += Σ_rows dout. Any of dinp, dweight, dbias may be nil to skip it.
func MatMulBackward(dinp, dweight, dbias, dout, inp, weight []float32, BT, C, OC int) {
	if dinp != nil {
		Sgemm(false, false, BT, C, OC, 1, dout, OC, weight, C, 1, dinp, C)
	}
	if dweight != nil {
		Sgemm(true, false, OC, C, BT, 1, dout, OC, inp, C, 1, dweight, C)
	}
	if dbias != nil {
		ColSum(dbias, dout, BT, OC)
	}
}

// LinearBackward sets dinp[BT,C] = dout·weight and adds doutᵀ·inp to
// dweight[OC,C] and the column sums of dout to dbias[OC], given
// dout[BT,OC]; any of dinp, dweight, dbias may be nil to skip it. With bf16
// both multiplies take GemmBF16's arithmetic; dbias sums the fp32 dout
// either way.
//
// Each multiply is split among the threads by blocks. Running the two side
// by side instead, each whole on one thread (or cut into row ranges that
// threads claim), measured slower on two threads
// (BenchmarkLinearBackward): the weight gradient takes longer than the
// data gradient, and each range repacks its B operand.
func LinearBackward(dinp, dweight, dbias, dout, inp, weight []float32, BT, C, OC int, bf16 bool) {
	prec := precFP32
	if bf16 {
		prec = bf16Prec()
	}
	if dinp != nil {
		gemmRun(prec, false, false, BT, C, OC, 1, dout, OC, weight, C, 0, dinp, C, nil)
	}
	if dweight != nil {
		gemmRun(prec, true, false, OC, C, BT, 1, dout, OC, inp, C, 1, dweight, C, nil)
	}
	if dbias != nil {
		ColSum(dbias, dout, BT, OC)
	}
}

// ColSum adds the column sums of x[rows,cols] into dst[cols]. Each column is
// summed in row order.
func ColSum(dst, x []float32, rows, cols int) {
	p := acquire()
	defer p.release()
	o := &p.ops.colSum
	*o = colSumOp{dst: dst, x: x, rows: rows, cols: cols}
	// Columns are split among threads in 256-wide strips; rows are never split.
	p.parallelRange(o, cols, 256)
	*o = colSumOp{}
}

type colSumOp struct {
	dst, x     []float32
	rows, cols int
}

func (o *colSumOp) rangeRun(lo, hi int, _ *scratch) {
	d := o.dst[lo:hi]
	for i := range o.rows {
		axpyUnit(d, o.x[i*o.cols+lo:i*o.cols+hi])
	}
}

// MatMulForwardBF16 is MatMulForward with inp and weight rounded to bf16
// (GemmBF16); the bias is added in fp32.
func MatMulForwardBF16(out, inp, weight, bias []float32, BT, C, OC int) {
	if bias != nil {
		bias = bias[:OC]
	}
	gemmBF16Bias(false, true, BT, OC, C, 1, inp, C, weight, C, 0, out, OC, bias)
}
