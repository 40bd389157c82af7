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

// ColSum adds the column sums of x[rows,cols] into dst[cols]: each column
// is summed over fixed blocks of colSumBlock rows, in row order, and the
// block sums are added in block order, so the result does not depend on
// the thread count. Threads take whole rows, which streams memory; column
// strips made each thread read scattered pieces of every row and ran
// slower at two threads than at one.
func ColSum(dst, x []float32, rows, cols int) {
	p := acquire()
	defer p.release()
	o := &p.ops.colSum
	blocks := (rows + colSumBlock - 1) / colSumBlock
	p.partials = grow(p.partials, blocks*cols)
	*o = colSumOp{dst: dst, x: x, parts: p.partials[:blocks*cols], rows: rows, cols: cols}
	p.parallelRange(o, blocks, 1)
	o.reduce = true
	p.parallelRange(o, cols, roundUp((cols+p.n-1)/p.n, 16))
	*o = colSumOp{}
}

// colSumBlock is ColSum's row block: large, so that the block sums, which
// the other thread reads back from this one's cache, are few.
const colSumBlock = 256

type colSumOp struct {
	dst, x, parts []float32
	rows, cols    int
	reduce        bool // second phase: add the block sums, threads split columns
}

func (o *colSumOp) rangeRun(lo, hi int, _ *scratch) {
	c := o.cols
	if o.reduce {
		d := o.dst[lo:hi]
		for b := 0; b < len(o.parts); b += c {
			axpyUnit(d, o.parts[b+lo:b+hi])
		}
		return
	}
	for b := lo; b < hi; b++ {
		part := o.parts[b*c : (b+1)*c]
		r0, r1 := b*colSumBlock, min((b+1)*colSumBlock, o.rows)
		copy(part, o.x[r0*c:(r0+1)*c])
		for r := r0 + 1; r < r1; r++ {
			axpyUnit(part, o.x[r*c:(r+1)*c])
		}
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
