package model

// Dense linear algebra used by the layers. Every routine computes each output
// element with a fixed summation order, independent of how rows are split
// among goroutines.

// gemmNT sets c[i*N+j] = sum_k a[i*K+k]*b[j*K+k] for i < M, j < N, or adds the
// sum to c when acc is true.
func gemmNT(c, a, b []float32, M, N, K int, acc bool) {
	const mb, nb = 16, 256
	mt, nt := (M+mb-1)/mb, (N+nb-1)/nb
	parallelFor(mt*nt, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			i0, j0 := (t/nt)*mb, (t%nt)*nb
			gemmNTTile(c, a, b, i0, min(i0+mb, M), j0, min(j0+nb, N), N, K, acc)
		}
	})
}

func gemmNTTile(c, a, b []float32, i0, i1, j0, j1, N, K int, acc bool) {
	i := i0
	for ; i+4 <= i1; i += 4 {
		a0 := a[i*K : i*K+K]
		a1 := a[(i+1)*K : (i+1)*K+K]
		a2 := a[(i+2)*K : (i+2)*K+K]
		a3 := a[(i+3)*K : (i+3)*K+K]
		j := j0
		for ; j+4 <= j1; j += 4 {
			b0 := b[j*K : j*K+K]
			b1 := b[(j+1)*K : (j+1)*K+K]
			b2 := b[(j+2)*K : (j+2)*K+K]
			b3 := b[(j+3)*K : (j+3)*K+K]
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			var c20, c21, c22, c23, c30, c31, c32, c33 float32
			for k := range a0 {
				x0, x1, x2, x3 := a0[k], a1[k], a2[k], a3[k]
				y0, y1, y2, y3 := b0[k], b1[k], b2[k], b3[k]
				c00 += x0 * y0
				c01 += x0 * y1
				c02 += x0 * y2
				c03 += x0 * y3
				c10 += x1 * y0
				c11 += x1 * y1
				c12 += x1 * y2
				c13 += x1 * y3
				c20 += x2 * y0
				c21 += x2 * y1
				c22 += x2 * y2
				c23 += x2 * y3
				c30 += x3 * y0
				c31 += x3 * y1
				c32 += x3 * y2
				c33 += x3 * y3
			}
			store4(c[i*N+j:i*N+j+4], c00, c01, c02, c03, acc)
			store4(c[(i+1)*N+j:(i+1)*N+j+4], c10, c11, c12, c13, acc)
			store4(c[(i+2)*N+j:(i+2)*N+j+4], c20, c21, c22, c23, acc)
			store4(c[(i+3)*N+j:(i+3)*N+j+4], c30, c31, c32, c33, acc)
		}
		for ; j < j1; j++ {
			bj := b[j*K : j*K+K]
			for r, ar := range [4][]float32{a0, a1, a2, a3} {
				s := dot(ar, bj)
				if acc {
					c[(i+r)*N+j] += s
				} else {
					c[(i+r)*N+j] = s
				}
			}
		}
	}
	for ; i < i1; i++ {
		ai := a[i*K : i*K+K]
		for j := j0; j < j1; j++ {
			s := dot(ai, b[j*K:j*K+K])
			if acc {
				c[i*N+j] += s
			} else {
				c[i*N+j] = s
			}
		}
	}
}

func store4(c []float32, v0, v1, v2, v3 float32, acc bool) {
	c = c[:4]
	if acc {
		c[0] += v0
		c[1] += v1
		c[2] += v2
		c[3] += v3
		return
	}
	c[0], c[1], c[2], c[3] = v0, v1, v2, v3
}

// dot is a plain left-to-right inner product of equal-length vectors.
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// transpose writes the cols x rows transpose of the rows x cols matrix src.
func transpose(dst, src []float32, rows, cols int) {
	const bs = 32
	rb := (rows + bs - 1) / bs
	parallelFor(rb, func(lo, hi int) {
		for r0 := lo * bs; r0 < min(hi*bs, rows); r0 += bs {
			r1 := min(r0+bs, rows)
			for c0 := 0; c0 < cols; c0 += bs {
				c1 := min(c0+bs, cols)
				for r := r0; r < r1; r++ {
					row := src[r*cols : r*cols+cols]
					for c := c0; c < c1; c++ {
						dst[c*rows+r] = row[c]
					}
				}
			}
		}
	})
}

// matmulForward computes out[N,OC] = inp[N,C] · w[OC,C]ᵀ + bias (bias may be nil).
func matmulForward(out, inp, w, bias []float32, N, C, OC int) {
	if bias == nil {
		gemmNT(out, inp, w, N, OC, C, false)
		return
	}
	parallelFor(N, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			copy(out[n*OC:n*OC+OC], bias)
		}
	})
	gemmNT(out, inp, w, N, OC, C, true)
}

// matmulBackward sets dinp = dout · w and adds doutᵀ · inp to dw and the
// column sums of dout to dbias (nil dinp or dbias are skipped). scratch must
// hold OC*C + N*OC + N*C floats.
func matmulBackward(dinp, dw, dbias, dout, inp, w []float32, N, C, OC int, scratch []float32) {
	wT := scratch[:OC*C]
	doutT := scratch[OC*C : OC*C+N*OC]
	inpT := scratch[OC*C+N*OC : OC*C+N*OC+N*C]
	if dinp != nil {
		transpose(wT, w, OC, C)
		gemmNT(dinp, dout, wT, N, C, OC, false)
	}
	transpose(doutT, dout, N, OC)
	transpose(inpT, inp, N, C)
	gemmNT(dw, doutT, inpT, OC, C, N, true)
	if dbias != nil {
		parallelFor(OC, func(lo, hi int) {
			for o := lo; o < hi; o++ {
				var s float32
				for _, v := range doutT[o*N : o*N+N] {
					s += v
				}
				dbias[o] += s
			}
		})
	}
}

// matmulScratch is the scratch size matmulBackward needs.
func matmulScratch(N, C, OC int) int { return OC*C + N*OC + N*C }
