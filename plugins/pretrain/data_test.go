package pretrain

import (
	"slices"
	"testing"
)

func TestDataCutAndFill(t *testing.T) {
	d := &Data{}
	// 10 tokens, documents starting at 0, 4 and 7; block 4 -> pieces of 5
	// tokens overlapping by one: [0,5) [4,9) [8,10).
	d.add([]int32{10, 11, 12, 13, 20, 21, 22, 30, 31, 32}, []int32{0, 4, 7}, 4)
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
	in, tg, seg := make([]int32, 4), make([]int32, 4), make([]int32, 4)
	if n := fill(in, tg, seg, d.Examples[1], d.DocStarts[1], 4); n != 4 {
		t.Fatalf("targets %d", n)
	}
	if !slices.Equal(in, []int32{20, 21, 22, 30}) || !slices.Equal(tg, []int32{21, 22, 30, 31}) || !slices.Equal(seg, []int32{0, 0, 0, 3}) {
		t.Fatalf("fill: in %v tg %v seg %v", in, tg, seg)
	}
	// A short example pads with masked targets; padding attends to itself.
	if n := fill(in, tg, seg, d.Examples[2], d.DocStarts[2], 4); n != 1 {
		t.Fatalf("targets %d", n)
	}
	if !slices.Equal(tg, []int32{32, -1, -1, -1}) || !slices.Equal(seg, []int32{0, 0, 2, 3}) {
		t.Fatalf("fill short: tg %v seg %v", tg, seg)
	}
}
