package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestLinearBackwardMatchesGemm checks LinearBackward, on every thread count
// and precision path, bit for bit against its three parts: the data
// gradient overwrites dinp, the others add.
func TestLinearBackwardMatchesGemm(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, p := range []string{"", PathFP32, PathAVX512BF16} {
		for _, sz := range [][3]int{{150, 96, 200}, {37, 13, 1025}, {600, 70, 33}, {1, 1, 1}} {
			BT, C, OC := sz[0], sz[1], sz[2]
			x, w, dy := randSlice(r, BT*C), randSlice(r, OC*C), randSlice(r, BT*OC)
			dw0, db0 := randSlice(r, OC*C), randSlice(r, OC)
			bf16 := p != ""
			mul := Sgemm
			if bf16 {
				mul = GemmBF16
			}
			t.Run(fmt.Sprintf("%s/%dx%dx%d", p, BT, C, OC), func(t *testing.T) {
				run := func() {
					wantX, wantW, wantB := make([]float32, BT*C), append([]float32(nil), dw0...), append([]float32(nil), db0...)
					mul(false, false, BT, C, OC, 1, dy, OC, w, C, 0, wantX, C)
					mul(true, false, OC, C, BT, 1, dy, OC, x, C, 1, wantW, C)
					ColSum(wantB, dy, BT, OC)
					for _, th := range []int{1, 2, 3} {
						dx, dw, db := randSlice(r, BT*C), append([]float32(nil), dw0...), append([]float32(nil), db0...)
						withThreads(th, func() { LinearBackward(dx, dw, db, dy, x, w, BT, C, OC, bf16) })
						for _, c := range []struct {
							name      string
							got, want []float32
						}{{"dinp", dx, wantX}, {"dweight", dw, wantW}, {"dbias", db, wantB}} {
							for i := range c.got {
								if math.Float32bits(c.got[i]) != math.Float32bits(c.want[i]) {
									t.Fatalf("%d threads: %s[%d] = %g, want %g", th, c.name, i, c.got[i], c.want[i])
								}
							}
						}
					}
				}
				if p == "" {
					run()
					return
				}
				withPath(t, p, run)
			})
		}
	}
}

// TestPackedWeightMatchesUnpacked checks that a weight packed once gives the
// forward and data-gradient products bit for bit, on every thread count,
// for shapes with partial panels and several depth and column blocks.
func TestPackedWeightMatchesUnpacked(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	for _, sz := range [][3]int{{150, 96, 200}, {37, 13, 1025}, {600, 700, 33}, {64, 384, 1152}, {1, 1, 1}} {
		BT, C, OC := sz[0], sz[1], sz[2]
		x, w, bias, dy := randSlice(r, BT*C), randSlice(r, OC*C), randSlice(r, OC), randSlice(r, BT*OC)
		wantY, wantX := make([]float32, BT*OC), make([]float32, BT*C)
		MatMulForward(wantY, x, w, bias, BT, C, OC)
		LinearBackward(wantX, nil, nil, dy, x, w, BT, C, OC, false)
		pw := PackWeight(w, C, OC)
		for _, th := range []int{1, 2, 3} {
			y, dx := randSlice(r, BT*OC), randSlice(r, BT*C)
			withThreads(th, func() {
				MatMulForwardPacked(y, x, pw, bias, BT)
				LinearBackwardPacked(dx, dy, pw, BT)
			})
			for _, c := range []struct {
				name      string
				got, want []float32
			}{{"out", y, wantY}, {"dinp", dx, wantX}} {
				for i := range c.got {
					if math.Float32bits(c.got[i]) != math.Float32bits(c.want[i]) {
						t.Fatalf("%dx%dx%d, %d threads: %s[%d] = %g, want %g", BT, C, OC, th, c.name, i, c.got[i], c.want[i])
					}
				}
			}
		}
	}
}
