//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

var hasAVX512BF16 = useAVX512 && cpu.X86.HasAVX512BF16

//go:noescape
func kernelBF16x12x32AVX512(k int, a *uint16, sI, sP int, b *uint32, c *float32, ldc int, alpha, beta float32, rows int, m1, m2 uint16, bias *float32)

//go:noescape
func cvtBF16AVX512(dst *uint16, src *float32, n int)

//go:noescape
func pairBF16AVX512(dst *uint32, r0, r1 *float32, n int)

//go:noescape
func packBTBF16AVX512(dst *uint32, src *float32, idx *int32, ld, pairs int, m1, m2 uint16)

// bf16PeakAVX512 measures the VDPBF16PS ceiling for benchmarks (24·n
// instructions of 64 flops).
func bf16PeakAVX512(n int)

// kernBF16 runs the bf16 micro-kernel; strides sI, sP are in bytes. Only
// called on the bf16 path, which needs AVX512-BF16.
func kernBF16(k2 int, a *uint16, sI, sP int, b *uint32, c *float32, ldc int, alpha, beta float32, rows, cols int, bias *float32) {
	m1, m2 := masks(cols)
	if beta == 0 {
		beta = 0 // canonical +0: the kernel tests beta bitwise
	}
	kernelBF16x12x32AVX512(k2, a, sI, sP, b, c, ldc, alpha, beta, rows, m1, m2, bias)
}

func cvtBF16(dst []uint16, src []float32) {
	if !hasAVX512BF16 {
		cvtBF16Go(dst, src)
		return
	}
	if len(dst) > 0 {
		src = src[:len(dst)]
		cvtBF16AVX512(&dst[0], &src[0], len(dst))
	}
}

func pairBF16(dst []uint32, r0, r1 []float32) {
	if !hasAVX512BF16 {
		pairBF16Go(dst, r0, r1)
		return
	}
	if len(dst) > 0 {
		r0, r1 = r0[:len(dst)], r1[:len(dst)]
		pairBF16AVX512(&dst[0], &r0[0], &r1[0], len(dst))
	}
}

// packBTBF16Fast packs pairs full depth pairs of w ≤ nr columns of a
// transposed B (src[j*ld + depth]) when the gather offsets fit in int32.
func packBTBF16Fast(dst []uint32, src []float32, ld, pairs, w int) bool {
	if !hasAVX512BF16 || 16*ld >= 1<<31 || pairs == 0 {
		return pairs == 0
	}
	_ = dst[pairs*nr-1]
	_ = src[(w-1)*ld+2*pairs-1]
	idx := gatherOffsets(ld)
	m1, m2 := masks(w)
	packBTBF16AVX512(&dst[0], &src[0], &idx[0], ld, pairs, m1, m2)
	return true
}
