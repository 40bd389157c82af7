package split

import (
	"fmt"
	"math"
	"testing"
)

func TestHeld(t *testing.T) {
	const n = 20000
	for _, f := range []float64{0, 0.05, 0.2, 0.5} {
		held := 0
		for i := 0; i < n; i++ {
			if Held(7, fmt.Sprintf("doc-%d", i), f) {
				held++
			}
		}
		if got := float64(held) / n; math.Abs(got-f) > 0.015 {
			t.Errorf("fraction %g: held %g", f, got)
		}
	}
	same := 0
	for i := 0; i < 1000; i++ {
		k := fmt.Sprintf("doc-%d", i)
		if Held(1, k, 0.5) == Held(2, k, 0.5) {
			same++
		}
	}
	if same < 400 || same > 600 {
		t.Errorf("seeds 1 and 2 agree on %d of 1000 keys; the seed must reshuffle", same)
	}
	if Held(1, "x", math.NaN()) {
		t.Error("NaN fraction held a row")
	}
}
