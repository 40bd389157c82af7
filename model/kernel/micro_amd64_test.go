//go:build amd64 && !purego

package kernel

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkMicroKernel measures the AVX-512 micro-kernels alone on L1/L2
// resident packed panels: the ceiling for Sgemm.
func BenchmarkMicroKernel(b *testing.B) {
	if !useAVX512 {
		b.Skip("no AVX-512")
	}
	const k = 256
	for _, layout := range []struct {
		name   string
		sI, sP int
		kern   microKernel
	}{{"avx512/N", k + kcPad, 1, kernelAVX512}, {"avx512/T", 1, mr, kernelAVX512}, {"avx2/N", k + kcPad, 1, kernelAVX2}, {"avx2/T", 1, mr, kernelAVX2}} {
		b.Run(layout.name, func(b *testing.B) {
			if layout.name[:4] == "avx2" && !useAVX2 {
				b.Skip("no AVX2")
			}
			a := make([]float32, mr*(k+kcPad))
			bp := make([]float32, k*nr*8)
			c := make([]float32, mr*nr*8)
			for i := range a {
				a[i] = 1e-3
			}
			for i := range bp {
				bp[i] = 1e-3
			}
			cpu0 := cpuTime()
			for range b.N {
				for q := range 8 {
					layout.kern(k, &a[0], layout.sI, layout.sP, &bp[q*k*nr], &c[q*nr], nr*8, 1, 1, mr, nr, nil)
				}
			}
			reportFlops(b, 2*mr*nr*k*8, cpu0)
		})
	}
}

// BenchmarkFMAPeak measures the machine's AVX-512 FMA ceiling per core (no
// memory traffic), the reference for the kernels' efficiency.
func BenchmarkFMAPeak(b *testing.B) {
	if !useAVX512 {
		b.Skip("no AVX-512")
	}
	cpu0 := cpuTime()
	for range b.N {
		fmaPeakAVX512(10000)
	}
	reportFlops(b, 24*16*2*10000, cpu0)
}

// TestSgemmEachKernel runs the Sgemm cases with every micro-kernel this CPU
// can execute, so the AVX2 and portable kernels are checked on AVX-512
// machines too.
func TestSgemmEachKernel(t *testing.T) {
	kernels := map[string]microKernel{"go": kernelGo}
	if useAVX2 {
		kernels["avx2"] = kernelAVX2
	}
	if useAVX512 {
		kernels["avx512"] = kernelAVX512
	}
	saved := kern
	defer func() { kern = saved }()
	r := rand.New(rand.NewPCG(21, 22))
	for name, k := range kernels {
		kern = k
		for _, sz := range [][3]int{{1, 1, 1}, {13, 33, 7}, {24, 64, 300}, {37, 70, 45}} {
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-1.5, 0.25}} {
						c := gemmCase{ta, tb, sz[0], sz[1], sz[2], 1, ab[0], ab[1]}
						t.Run(name+"/"+c.String(), func(t *testing.T) { runGemmCase(t, r, c) })
					}
				}
			}
		}
		t.Run(name+"/bias", func(t *testing.T) { testMatMul(t, r) })
	}
}
