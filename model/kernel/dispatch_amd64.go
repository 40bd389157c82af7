//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:noescape
func kernel12x32AVX512(k int, a *float32, sI, sP int, b *float32, c *float32, ldc int, alpha, beta float32, rows int, m1, m2 uint16)

// kernelAVX512 adapts the assembly micro-kernel: column masks for partial
// tiles, and a canonical +0 beta so the kernel can test it bitwise.
func kernelAVX512(k int, a *float32, sI, sP int, b *float32, c *float32, ldc int, alpha, beta float32, rows, cols int) {
	m1, m2 := masks(cols)
	if beta == 0 {
		beta = 0
	}
	kernel12x32AVX512(k, a, sI, sP, b, c, ldc, alpha, beta, rows, m1, m2)
}

var useAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL

var kern microKernel = pickKernel()

func pickKernel() microKernel {
	if useAVX512 {
		return kernelAVX512
	}
	return kernelGo
}

//go:noescape
func packATAVX512(dst, src *float32, ld, kcur, mcur int)

//go:noescape
func packBNAVX512(dst, src *float32, ld, kcur int, m1, m2 uint16)

//go:noescape
func packBTAVX512(dst, src *float32, idx *int32, ld, kcur int, m1, m2 uint16)

func masks(w int) (uint16, uint16) {
	if w >= 32 {
		return 0xffff, 0xffff
	}
	if w <= 16 {
		return uint16(1<<w - 1), 0
	}
	return 0xffff, uint16(1<<(w-16) - 1)
}

// packATBlock packs mcur columns of op(A) = Aᵀ (rows of A from src, stride
// ld) into mr-wide strips, kcur deep; see gemm.block.
func packATBlock(dst, src []float32, ld, kcur, mcur int) bool {
	if !useAVX512 {
		return false
	}
	// bounds: last strip is written whole, last row read up to mcur
	_ = dst[roundUp(mcur, mr)*kcur-1]
	_ = src[(kcur-1)*ld+mcur-1]
	packATAVX512(&dst[0], &src[0], ld, kcur, mcur)
	return true
}

func packBNFast(dst, src []float32, ld, kcur, w int) bool {
	if !useAVX512 {
		return false
	}
	_ = dst[kcur*nr-1]
	_ = src[(kcur-1)*ld+w-1]
	m1, m2 := masks(w)
	packBNAVX512(&dst[0], &src[0], ld, kcur, m1, m2)
	return true
}

func packBTFast(dst, src []float32, ld, kcur, w int) bool {
	if !useAVX512 || 16*ld >= 1<<31 {
		return false
	}
	_ = dst[kcur*nr-1]
	_ = src[(w-1)*ld+kcur-1]
	var idx [16]int32
	for j := range idx {
		idx[j] = int32(j * ld)
	}
	m1, m2 := masks(w)
	packBTAVX512(&dst[0], &src[0], &idx[0], ld, kcur, m1, m2)
	return true
}

// ISA names the instruction set the kernels use.
func ISA() string {
	if useAVX512 {
		return "avx512"
	}
	return "go"
}

var (
	dot          = dotGo
	geluForward  = geluForwardGo
	geluBackward = geluBackwardGo
	expShift     = expShiftGo
	expSum       = expSumGo
	adamw        = adamwGo
)
