//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:noescape
func kernel12x32AVX512(k int, a *float32, sI, sP int, b *float32, c *float32, ldc int, alpha, beta float32, rows int, m1, m2 uint16)

// kernelAVX512 adapts the assembly micro-kernel: column masks for partial
// tiles, and a canonical +0 beta so the kernel can test it bitwise.
func kernelAVX512(k int, a *float32, sI, sP int, b *float32, c *float32, ldc int, alpha, beta float32, rows, cols int) {
	m1, m2 := uint16(0xffff), uint16(0xffff)
	if cols < 32 {
		if cols <= 16 {
			m1, m2 = uint16(1<<cols-1), 0
		} else {
			m2 = uint16(1<<(cols-16) - 1)
		}
	}
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

func packAT(dst, src []float32, ld, kcur, w int) { packATGo(dst, src, ld, kcur, w) }

func packBNFast(dst, src []float32, ld, kcur, w int) bool { return false }

func packBTFast(dst, src []float32, ld, kcur, w int) bool { return false }

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
