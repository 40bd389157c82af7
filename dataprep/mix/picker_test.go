package mix

import (
	"math"
	"slices"
	"testing"
)

// draw runs a picker to the end and returns the source of every row.
func draw(cfg Config, rows []int64, seed int64) []int {
	p := newPicker(cfg, rows, seed)
	var out []int
	for i := p.next(); i >= 0; i = p.next() {
		out = append(out, i)
	}
	return out
}

func counts(order []int, n int) []int64 {
	c := make([]int64, n)
	for _, i := range order {
		c[i]++
	}
	return c
}

func TestPickerProportions(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		rows      []int64
		wantTotal int64     // exact row count, -1 to skip
		share     []float64 // expected share of each source, within tol
		tol       float64
		exact     []int64 // exact per-source counts, nil to skip
	}{
		{"weights stop", Config{Weights: []float64{3, 1}, OnExhausted: OnExhaustedStop}, []int64{100000, 100000},
			-1, []float64{0.75, 0.25}, 0.01, nil},
		{"weights stop at the first exhausted", Config{Weights: []float64{1, 1}, OnExhausted: OnExhaustedStop}, []int64{1000, 100000},
			-1, []float64{0.5, 0.5}, 0.05, nil},
		{"weights continue uses everything", Config{Weights: []float64{1, 1}, OnExhausted: OnExhaustedContinue}, []int64{1000, 5000},
			6000, nil, 0, []int64{1000, 5000}},
		{"three weights", Config{Weights: []float64{0.5, 0.3, 0.2}, OnExhausted: OnExhaustedStop}, []int64{1e6, 1e6, 1e6},
			-1, []float64{0.5, 0.3, 0.2}, 0.01, nil},
		{"no weights: sizes", Config{OnExhausted: OnExhaustedStop}, []int64{3000, 1000},
			4000, nil, 0, []int64{3000, 1000}},
		{"max_rows caps", Config{MaxRows: []int64{0, 10}, OnExhausted: OnExhaustedStop}, []int64{50, 1000},
			60, nil, 0, []int64{50, 10}},
		{"empty source without weights", Config{OnExhausted: OnExhaustedStop}, []int64{0, 7},
			7, nil, 0, []int64{0, 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			order := draw(tc.cfg, tc.rows, 42)
			c := counts(order, len(tc.rows))
			if tc.wantTotal >= 0 && int64(len(order)) != tc.wantTotal {
				t.Errorf("%d rows, want %d", len(order), tc.wantTotal)
			}
			if tc.exact != nil && !slices.Equal(c, tc.exact) {
				t.Errorf("counts %v, want %v", c, tc.exact)
			}
			for i, want := range tc.share {
				if got := float64(c[i]) / float64(len(order)); math.Abs(got-want) > tc.tol {
					t.Errorf("source %d: share %.4f, want %.2f±%.2f (counts %v)", i, got, want, tc.tol, c)
				}
			}
			for i, n := range c {
				if max := tc.rows[i]; n > max {
					t.Errorf("source %d gave %d rows of %d", i, n, max)
				}
			}
		})
	}
}

// TestPickerStop: with "stop" the mix ends exactly when a source runs out,
// so the last row comes from the source that ran out.
func TestPickerStop(t *testing.T) {
	order := draw(Config{Weights: []float64{1, 1}, OnExhausted: OnExhaustedStop}, []int64{100, 1e6}, 7)
	if c := counts(order, 2); c[0] != 100 || order[len(order)-1] != 0 {
		t.Errorf("counts %v, last from %d; want source 0 used up and last", c, order[len(order)-1])
	}
}

func TestPickerDeterministic(t *testing.T) {
	cfg := Config{Weights: []float64{2, 1, 1}, OnExhausted: OnExhaustedContinue}
	rows := []int64{500, 300, 200}
	a, b := draw(cfg, rows, 9), draw(cfg, rows, 9)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different order")
	}
	if slices.Equal(a, draw(cfg, rows, 10)) {
		t.Error("a different seed gave the same order")
	}
}
