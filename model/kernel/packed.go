package kernel

// PackedWeight is a linear layer's weight [OC, C] packed once as the B
// operand of both products that read it: the forward (weightᵀ) and the
// data gradient (weight). Packing transposes or copies the whole weight on
// every multiply; for a weight that stays fixed over many steps (a frozen
// base under LoRA, adapters or prefix tuning) that is ~5% of a step done
// for nothing. It holds two copies of the weight.
type PackedWeight struct {
	C, OC    int
	fwd, bwd packedB
}

// packedB is op(B) of a k×n product laid out as gemm.parallel reads its
// blocks, one after the other in loop order.
type packedB struct {
	k, n int
	data []float32
}

// PackWeight packs weight[OC, C] for MatMulForwardPacked and
// LinearBackwardPacked. Later changes to weight are not seen.
func PackWeight(weight []float32, C, OC int) *PackedWeight {
	return &PackedWeight{C: C, OC: OC,
		fwd: packB(true, C, OC, weight, C),
		bwd: packB(false, OC, C, weight, C)}
}

func packB(transB bool, k, n int, b []float32, ldb int) packedB {
	rows, cols := k, n
	if transB {
		rows, cols = n, k
	}
	if ldb < cols || len(b) < (rows-1)*ldb+cols {
		panic("kernel.PackWeight: weight too short for its shape")
	}
	var g gemm
	g.set(false, transB, 1, n, k, 1, nil, k, b, ldb, 0, nil, n)
	size := 0
	g.eachBlock(func(panels int) { size += panels * g.kcur * nr })
	data := Zeros(size)
	off := 0
	g.eachBlock(func(panels int) {
		g.bp = data[off : off+panels*g.kcur*nr]
		for q := range panels {
			g.packB(q)
		}
		off += panels * g.kcur * nr
	})
	return packedB{k: k, n: n, data: data}
}

// eachBlock calls f for every block of B in the order parallel and serial
// visit them, with the block set in g.
func (g *gemm) eachBlock(f func(panels int)) {
	for jc := 0; jc < g.n; jc += g.nc {
		g.jc, g.ncur = jc, min(g.nc, g.n-jc)
		for pc := 0; pc < g.k; pc += g.kc {
			g.pc, g.kcur = pc, min(g.kc, g.k-pc)
			f((g.ncur + nr - 1) / nr)
		}
	}
}

// MatMulForwardPacked is MatMulForward with a packed weight.
func MatMulForwardPacked(out, inp []float32, w *PackedWeight, bias []float32, BT int) {
	if bias != nil {
		bias = bias[:w.OC]
	}
	gemmPacked(BT, inp, w.C, &w.fwd, out, w.OC, bias)
}

// LinearBackwardPacked sets dinp[BT,C] = dout·weight for a packed weight,
// given dout[BT,OC]: LinearBackward of a weight that gets no gradient.
func LinearBackwardPacked(dinp, dout []float32, w *PackedWeight, BT int) {
	gemmPacked(BT, dout, w.OC, &w.bwd, dinp, w.C, nil)
}

// gemmPacked computes c[m×n] = a[m×k]·op(B) (+ bias) with op(B) packed.
func gemmPacked(m int, a []float32, lda int, pb *packedB, c []float32, ldc int, bias []float32) {
	k, n := pb.k, pb.n
	if m < 0 || len(a) < (m-1)*lda+k || len(c) < (m-1)*ldc+n {
		panic("kernel: operands too short for a packed weight's product")
	}
	if m == 0 || n == 0 {
		return
	}
	p := acquire()
	defer p.release()
	g := &p.gemm
	own := g.bp
	g.set(false, false, m, n, k, 1, a, lda, nil, n, 0, c, ldc)
	g.bias, g.pre = bias, pb.data
	g.parallel(p)
	g.clear()
	g.bp = own
}
