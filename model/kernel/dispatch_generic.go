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
