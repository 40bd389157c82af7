//go:build amd64 && !purego

package kernel

import "testing"

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
	}{{"N", k + kcPad, 1}, {"T", 1, mr}} {
		b.Run(layout.name, func(b *testing.B) {
			a := make([]float32, mr*(k+kcPad))
			bp := make([]float32, k*nr*8)
			c := make([]float32, mr*nr*8)
			for i := range a {
				a[i] = 1e-3
			}
			for i := range bp {
				bp[i] = 1e-3
			}
			for range b.N {
				for q := range 8 {
					kernelAVX512(k, &a[0], layout.sI, layout.sP, &bp[q*k*nr], &c[q*nr], nr*8, 1, 1, mr, nr, nil)
				}
			}
			b.ReportMetric(2*mr*nr*k*8*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
