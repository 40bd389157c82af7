//go:build amd64 && !purego

package kernel

// The AVX-512 kernels of the low-rank products take eight rows of the small
// factor at a time; see asmgen/lowrank.py.

//go:noescape
func lowRankDownAVX512(x, w, h *float32, d int, alpha float32)

//go:noescape
func lowRankUpAVX512(y, h, u *float32, d int)

//go:noescape
func lowRankDown3AVX512(x, w, h *float32, d int, alpha float32, hs int)

//go:noescape
func lowRankUp3AVX512(y, h, u *float32, d int, hs int)

//go:noescape
func lowRankGradAVX512(dst, h, x *float32, rows, cols, ld, hs int)

// lowRank8 reports whether groups of eight rows go to the AVX-512 kernels.
var lowRank8 = useAVX512

func lowRankDown8(x, w, h []float32, d int, alpha float32) {
	_, _ = w[8*d-1], h[7]
	lowRankDownAVX512(&x[0], &w[0], &h[0], d, alpha)
}

// lowRankDown8x3 is lowRankDown8 for rows x[0:d], x[d:2d], x[2d:3d] into
// h[0:8], h[hs:hs+8], h[2hs:2hs+8], each vector of w loaded once for all
// three; same bits as three calls.
func lowRankDown8x3(x, w, h []float32, d, hs int, alpha float32) {
	_, _, _ = x[3*d-1], w[8*d-1], h[2*hs+7]
	lowRankDown3AVX512(&x[0], &w[0], &h[0], d, alpha, hs)
}

// lowRankUp8x3 is lowRankUp8 for rows y[0:d], y[d:2d], y[2d:3d] with
// h[0:8], h[hs:hs+8], h[2hs:2hs+8]; same bits as three calls.
func lowRankUp8x3(y, h, u []float32, d, hs int) {
	_, _, _ = y[3*d-1], u[8*d-1], h[2*hs+7]
	lowRankUp3AVX512(&y[0], &h[0], &u[0], d, hs)
}

func lowRankUp8(y, h, u []float32, d int) {
	_, _ = u[8*d-1], h[7]
	lowRankUpAVX512(&y[0], &h[0], &u[0], d)
}

// lowRankGrad8 adds Σ_n h[n*hs+j]·x[n*ld+i] to g[j*ld+i] for j < 8,
// i < cols, n < rows.
func lowRankGrad8(g, h, x []float32, rows, cols, ld, hs int) {
	if rows == 0 || cols == 0 {
		return
	}
	_, _, _ = g[7*ld+cols-1], h[(rows-1)*hs+7], x[(rows-1)*ld+cols-1]
	lowRankGradAVX512(&g[0], &h[0], &x[0], rows, cols, ld, hs)
}
