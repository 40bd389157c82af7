package kernel

import "math"

// LayerNormEps is the variance epsilon of GPT-2's LayerNorm.
const LayerNormEps = 1e-5

// LayerNormForward normalises each of the N rows of inp[N,C]:
// out = (x-mean)·rstd·weight + bias, and stores mean[N] and rstd[N] for the
// backward pass.
func LayerNormForward(out, mean, rstd, inp, weight, bias []float32, N, C int) {
	// Work items of 256 KB of rows, as GeluForward's.
	p := acquire()
	defer p.release()
	o := &p.ops.ln
	*o = layerNormOp{out: out, mean: mean, rstd: rstd, inp: inp, weight: weight, bias: bias, C: C}
	p.parallelRange(o, N, max(1, 65536/max(C, 1)))
	*o = layerNormOp{}
}

// ResidualLayerNormForward adds x[N,C] into the residual stream res[N,C]
// and normalises the sums as LayerNormForward does, row by row: each row is
// still in L1 when it is normalised, which saves a pass over the stream.
func ResidualLayerNormForward(out, mean, rstd, res, x, weight, bias []float32, N, C int) {
	p := acquire()
	defer p.release()
	o := &p.ops.ln
	*o = layerNormOp{phase: 3, out: out, mean: mean, rstd: rstd, inp: res, dout: x, weight: weight, bias: bias, C: C}
	p.parallelRange(o, N, max(1, 65536/max(C, 1)))
	*o = layerNormOp{}
}

// LayerNormBackward adds the gradients of LayerNormForward: dinp[N,C],
// dweight[C] and dbias[C]. dweight and dbias may both be nil to skip them.
//
// Rows are taken in fixed blocks of lnParamBlock, each summing its rows'
// parameter gradients in order into a partial, lnRowBlock rows at a time
// right after their dinp rows, while they are in L1; then the partials are
// added in block order (threads split columns). The sums depend on the
// block size only, never on the thread count. A second pass over the rows
// for the parameters cost more than the rows themselves at two threads, and
// partials of 16 rows made the final sum read 400 KB written by the other
// core (50 µs a call at config M).
func LayerNormBackward(dinp, dweight, dbias, dout, inp, weight, mean, rstd []float32, N, C int) {
	p := acquire()
	defer p.release()
	o := &p.ops.ln
	*o = layerNormOp{phase: 1, out: dinp, dout: dout, mean: mean,
		rstd: rstd, inp: inp, weight: weight, C: C, N: N}
	if dweight == nil && dbias == nil { // frozen
		p.parallelRange(o, N, max(1, 65536/max(C, 1)))
		*o = layerNormOp{}
		return
	}
	blocks := (N + lnParamBlock - 1) / lnParamBlock
	p.partials = grow(p.partials, blocks*2*C)
	o.phase, o.parts = 4, p.partials[:blocks*2*C]
	p.parallelRange(o, blocks, 1)
	o.phase, o.dweight, o.dbias = 2, dweight, dbias
	p.parallelRange(o, C, roundUp((C+p.n-1)/p.n, 16))
	*o = layerNormOp{}
}

// lnParamBlock is the row block of LayerNormBackward's partial parameter
// sums, and lnRowBlock the rows it takes at a time: 16 rows of x and dout at
// C = 384 fill half of L1.
const (
	lnParamBlock = 128
	lnRowBlock   = 16
)

type layerNormOp struct {
	// phase: 0 forward, 1 dinp by rows, 2 dweight/dbias from the block
	// partials by columns, 3 residual add and forward (x in dout), 4 dinp
	// and the partials by row blocks
	phase                              int
	out, mean, rstd, inp, weight, bias []float32
	dweight, dbias, dout               []float32
	parts                              []float32 // per row block: C of dweight, then C of dbias
	N, C                               int
}

func (o *layerNormOp) rangeRun(lo, hi int, _ *scratch) {
	C := o.C
	switch o.phase {
	case 0, 3:
		for r := lo; r < hi; r++ {
			x := o.inp[r*C : (r+1)*C]
			if o.phase == 3 {
				axpyUnit(x, o.dout[r*C:(r+1)*C])
			}
			m := Sum(x) / float32(C)
			v := sumSqDiff(x, m) / float32(C)
			s := float32(1 / math.Sqrt(float64(v+LayerNormEps)))
			normAffine(o.out[r*C:(r+1)*C], x, o.weight, o.bias, m, s)
			o.mean[r], o.rstd[r] = m, s
		}
	case 1:
		for r := lo; r < hi; r++ {
			layerNormBackRow(o.out[r*C:(r+1)*C], o.dout[r*C:(r+1)*C], o.inp[r*C:(r+1)*C], o.weight, o.mean[r], o.rstd[r])
		}
	case 2:
		for b := 0; b < len(o.parts); b += 2 * C {
			if o.dweight != nil {
				axpyUnit(o.dweight[lo:hi], o.parts[b+lo:b+hi])
			}
			if o.dbias != nil {
				axpyUnit(o.dbias[lo:hi], o.parts[b+C+lo:b+C+hi])
			}
		}
	case 4:
		for b := lo; b < hi; b++ {
			part := o.parts[b*2*C : (b+1)*2*C]
			clear(part)
			for r0 := b * lnParamBlock; r0 < min((b+1)*lnParamBlock, o.N); r0 += lnRowBlock {
				r1 := min(r0+lnRowBlock, (b+1)*lnParamBlock, o.N)
				for r := r0; r < r1; r++ {
					layerNormBackRow(o.out[r*C:(r+1)*C], o.dout[r*C:(r+1)*C], o.inp[r*C:(r+1)*C], o.weight, o.mean[r], o.rstd[r])
				}
				layerNormBackParams(part[:C], part[C:], o.inp[r0*C:], o.dout[r0*C:], o.mean[r0:r1], o.rstd[r0:r1], C)
			}
		}
	}
}

// layerNormBackParamsGo adds, for each row r in order, dout[r] into db and
// (x[r]-mean[r])·rstd[r]·dout[r] into dw, over len(dw) columns of rows ld
// apart.
func layerNormBackParamsGo(dw, db, x, dout, mean, rstd []float32, ld int) {
	n := len(dw)
	db = db[:n]
	for r, m := range mean {
		s := rstd[r]
		xr, dr := x[r*ld:r*ld+n], dout[r*ld:r*ld+n]
		for i, xv := range xr {
			db[i] += dr[i]
			dw[i] += (xv - m) * s * dr[i]
		}
	}
}

func sumSqDiffGo(x []float32, m float32) float32 {
	var s [8]float32
	i := 0
	for ; i+8 <= len(x); i += 8 {
		xs := x[i : i+8 : i+8]
		for j := range s {
			d := xs[j] - m
			s[j] += d * d
		}
	}
	for ; i < len(x); i++ {
		d := x[i] - m
		s[i&7] += d * d
	}
	return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]))
}

func normAffineGo(out, x, w, b []float32, m, s float32) {
	w, b, out = w[:len(x)], b[:len(x)], out[:len(x)]
	for i, xv := range x {
		out[i] = (xv-m)*s*w[i] + b[i]
	}
}

// layerNormBackRow is llm.c's layernorm_backward for one row's dinp.
func layerNormBackRowGo(dinp, dout, x, w []float32, m, s float32) {
	C := len(x)
	dout, w, dinp = dout[:C], w[:C], dinp[:C]
	var dm, dnm float32
	for i, xv := range x {
		n := (xv - m) * s
		dn := w[i] * dout[i]
		dm += dn
		dnm += dn * n
	}
	dm /= float32(C)
	dnm /= float32(C)
	for i, xv := range x {
		n := (xv - m) * s
		dinp[i] += (w[i]*dout[i] - dm - n*dnm) * s
	}
}
