//go:build amd64 && !purego

package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkBF16Peak measures the VDPBF16PS ceiling: 24 independent dot
// products per round, no memory traffic. Compare with BenchmarkFMAPeak.
func BenchmarkBF16Peak(b *testing.B) {
	if !hasAVX512BF16 {
		b.Skip("no AVX512-BF16")
	}
	cpu0 := cpuTime()
	for range b.N {
		bf16PeakAVX512(10000)
	}
	reportFlops(b, 24*64*10000, cpu0)
}

// BenchmarkMicroKernelBF16 measures the bf16 micro-kernel alone on L1/L2
// resident operands, as BenchmarkMicroKernel does for fp32.
func BenchmarkMicroKernelBF16(b *testing.B) {
	if !hasAVX512BF16 {
		b.Skip("no AVX512-BF16")
	}
	const k2 = 256
	a := make([]uint16, mr*2*k2)
	bp := make([]uint32, k2*nr*8)
	c := make([]float32, mr*nr*8)
	for i := range a {
		a[i] = ToBF16(1e-3)
	}
	for i := range bp {
		bp[i] = uint32(ToBF16(1e-3)) * 0x10001
	}
	cpu0 := cpuTime()
	for range b.N {
		for q := range 8 {
			kernBF16(k2, &a[0], 2*2*k2, 4, &bp[q*k2*nr], &c[q*nr], nr*8, 1, 1, mr, nr, nil)
		}
	}
	reportFlops(b, 8*2*mr*nr*2*k2, cpu0)
}

// TestKernelBF16MatchesGo runs the assembly micro-kernel and the portable
// one on the same packed operands, partial tiles and bias included. alpha
// is a power of two: the assembly fuses alpha·acc + bias, Go rounds twice.
func TestKernelBF16MatchesGo(t *testing.T) {
	if !hasAVX512BF16 {
		t.Skip("no AVX512-BF16")
	}
	r := rand.New(rand.NewPCG(15, 16))
	const k2 = 37
	a := make([]uint16, mr*2*k2)
	bp := make([]uint32, k2*nr)
	for i := range a {
		a[i] = ToBF16(float32(r.NormFloat64()))
	}
	for i := range bp {
		bp[i] = uint32(ToBF16(float32(r.NormFloat64()))) | uint32(ToBF16(float32(r.NormFloat64())))<<16
	}
	bias := randSlice(r, nr)
	for _, tile := range [][2]int{{mr, nr}, {5, 17}, {1, 1}, {12, 3}} {
		for _, bb := range []struct {
			beta float32
			bias []float32
		}{{0, nil}, {0, bias}, {0.5, nil}} {
			c0 := randSlice(r, mr*40)
			got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
			var bptr *float32
			if bb.bias != nil {
				bptr = &bb.bias[0]
			}
			kernBF16(k2, &a[0], 2*2*k2, 4, &bp[0], &got[0], 40, 0.5, bb.beta, tile[0], tile[1], bptr)
			kernelBF16Go(k2, &a[0], 2*2*k2, 4, &bp[0], &want[0], 40, 0.5, bb.beta, tile[0], tile[1], bptr)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("tile %v beta %g bias %v: C[%d] = %g, want %g", tile, bb.beta, bb.bias != nil, i, got[i], want[i])
				}
			}
		}
	}
}
