//go:build !amd64 || purego

package kernel

var kern microKernel = kernelGo

func packATBlock(dst, src []float32, ld, kcur, mcur int) bool { return false }

func packBNFast(dst, src []float32, ld, kcur, w int) bool { return false }

func packBTFast(dst, src []float32, ld, kcur, w int) bool { return false }

// ISA names the instruction set the kernels use.
func ISA() string { return "go" }

var (
	axpy         = axpyGo
	scale        = scaleGo
	sum          = sumGo
	maxf         = maxGo
	dot          = dotGo
	geluForward  = geluForwardGo
	geluBackward = geluBackwardGo
	expShift     = expShiftGo
	expSum       = expSumGo
	adamw        = adamwGo

	softmaxBack         = softmaxBackGo
	sumSqDiff           = sumSqDiffGo
	normAffine          = normAffineGo
	layerNormBackRow    = layerNormBackRowGo
	layerNormBackParams = layerNormBackParamsGo
)

const hasAVX512BF16 = false

func kernBF16(k2 int, a *uint16, sI, sP int, b *uint32, c *float32, ldc int, alpha, beta float32, rows, cols int, bias *float32) {
	kernelBF16Go(k2, a, sI, sP, b, c, ldc, alpha, beta, rows, cols, bias)
}

func cvtBF16(dst []uint16, src []float32) { cvtBF16Go(dst, src) }

func pairBF16(dst []uint32, r0, r1 []float32) { pairBF16Go(dst, r0, r1) }

func packBTBF16Fast(dst []uint32, src []float32, ld, pairs, w int) bool { return pairs == 0 }
