package trainer

import (
	"slices"
	"testing"
)

func TestDataCutAndFill(t *testing.T) {
	d := &Data{}
	// 10 tokens, documents starting at 0, 4 and 7; block 4 -> pieces of 5
	// tokens overlapping by one: [0,5) [4,9) [8,10).
	d.Add([]int32{10, 11, 12, 13, 20, 21, 22, 30, 31, 32}, []int32{0, 4, 7}, 4)
	wantEx := [][]int32{{10, 11, 12, 13, 20}, {20, 21, 22, 30, 31}, {31, 32}}
	wantStarts := [][]int32{{0, 4}, {0, 3}, nil}
	if len(d.Examples) != len(wantEx) {
		t.Fatalf("examples %v", d.Examples)
	}
	for i := range wantEx {
		if !slices.Equal(d.Examples[i], wantEx[i]) || !slices.Equal(d.DocStarts[i], wantStarts[i]) {
			t.Errorf("example %d: %v starts %v, want %v starts %v", i, d.Examples[i], d.DocStarts[i], wantEx[i], wantStarts[i])
		}
	}
	b := newBuffers(1, 4)
	r := b.row(0)
	if n, w := fill(r, d.Examples[1], d.DocStarts[1]); n != 4 || w != 4 {
		t.Fatalf("targets %d, weight %v", n, w)
	}
	if !slices.Equal(r.Inputs, []int32{20, 21, 22, 30}) || !slices.Equal(r.Targets, []int32{21, 22, 30, 31}) || !slices.Equal(r.Seg, []int32{0, 0, 0, 3}) {
		t.Fatalf("fill: in %v tg %v seg %v", r.Inputs, r.Targets, r.Seg)
	}
	// A short example pads with masked targets; padding attends to itself.
	if n, w := fill(r, d.Examples[2], d.DocStarts[2]); n != 1 || w != 1 {
		t.Fatalf("targets %d, weight %v", n, w)
	}
	if !slices.Equal(r.Targets, []int32{32, -1, -1, -1}) || !slices.Equal(r.Seg, []int32{0, 0, 2, 3}) || !slices.Equal(r.Weights, []float32{1, 0, 0, 0}) {
		t.Fatalf("fill short: tg %v seg %v weights %v", r.Targets, r.Seg, r.Weights)
	}
}
