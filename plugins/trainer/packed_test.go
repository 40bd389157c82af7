package trainer

import (
	"math"
	"slices"
	"testing"

	"github.com/llmflow/llmflow/model"
)

// packedData returns n examples of 3..12 tokens whose first half is a
// prompt (mask 0).
func packedData(n int) *Data {
	r := model.NewRNG(5)
	d := &Data{MaxID: testVocab - 1}
	for range n {
		e := make([]int32, 3+r.Intn(10))
		m := make([]uint8, len(e))
		for j := range e {
			e[j] = int32(r.Intn(testVocab - 1)) // the last id is padding
			if j >= len(e)/2 {
				m[j] = 1
			}
		}
		d.Examples = append(d.Examples, e)
		d.DocStarts = append(d.DocStarts, []int32{0})
		d.Masks = append(d.Masks, m)
	}
	return d
}

// TestPackedRows checks what a packed row holds: whole examples in the
// epoch's order, never one cut at the row's end, weights only where an
// example's mask is 1 (never on an example's first token), and padding
// with the pad id and weight 0.
func TestPackedRows(t *testing.T) {
	const pad = testVocab - 1
	d := packedData(40)
	p, err := NewPacked(d, testBlock, pad, 7)
	if err != nil {
		t.Fatal(err)
	}
	buf := newBuffers(1, testBlock)
	seen := 0
	for seen < len(d.Examples) {
		first := p.Position().Cursor
		p.Next(buf.row(0))
		r := buf.row(0)
		last := p.Position().Cursor
		if p.Position().Epoch != 0 {
			t.Fatal("epoch 0 ended early")
		}
		off, wantWeight := 0, 0.0
		for c := first; c < last; c++ {
			i := p.perm[c]
			e, m := d.Examples[i], d.Masks[i]
			for j := range e {
				pos := off + j
				if r.Seg[min(pos, testBlock-1)] != int32(off) && pos < testBlock {
					t.Fatalf("position %d: seg %d, want %d", pos, r.Seg[pos], off)
				}
				if j+1 < len(e) {
					if r.Inputs[pos] != e[j] || r.Targets[pos] != e[j+1] || r.Weights[pos] != float32(m[j+1]) {
						t.Fatalf("example %d token %d: got %d->%d w %v", i, j, r.Inputs[pos], r.Targets[pos], r.Weights[pos])
					}
				} else if pos < testBlock && r.Weights[pos] != 0 {
					t.Fatalf("example %d's last token has weight %v; it must not learn the next example's first", i, r.Weights[pos])
				}
			}
			for _, v := range m[1:] {
				wantWeight += float64(v)
			}
			off += len(e)
		}
		if off > testBlock+1 {
			t.Fatalf("row holds %d tokens, more than %d", off, testBlock+1)
		}
		if last < len(d.Examples) && off+len(d.Examples[p.perm[last]]) <= testBlock+1 {
			t.Fatalf("the next example (%d tokens) fits in the %d left but starts a new row", len(d.Examples[p.perm[last]]), testBlock+1-off)
		}
		var w float64
		for i := range r.Weights {
			w += float64(r.Weights[i])
			if i >= off-1 && (r.Inputs[i] != pad || r.Weights[i] != 0) {
				t.Fatalf("padding position %d: input %d weight %v", i, r.Inputs[i], r.Weights[i])
			}
		}
		if w != wantWeight {
			t.Fatalf("row weight %v, want %v", w, wantWeight)
		}
		seen = last
	}
	if p.Seen() != int64(len(d.Examples)) {
		t.Errorf("Seen() = %d after one epoch of %d", p.Seen(), len(d.Examples))
	}
	// The next row starts epoch 1 in a new order; Seek replays it.
	p.Next(buf.row(0))
	pos := p.Position()
	want := slices.Clone(buf.row(0).Inputs)
	q, _ := NewPacked(d, testBlock, pad, 7)
	q.Seek(Position{Epoch: 1})
	q.Next(buf.row(0))
	if pos.Epoch != 1 || q.Position() != pos || !slices.Equal(buf.row(0).Inputs, want) {
		t.Errorf("resumed at epoch 1: position %+v vs %+v", q.Position(), pos)
	}
}

// TestPackedEqualsAlone: with reset position ids, every example packed into
// a row gets the logits it gets run alone, to 1e-6.
func TestPackedEqualsAlone(t *testing.T) {
	const pad = testVocab - 1
	d := packedData(30)
	m, err := model.New(model.Config{VocabSize: testVocab, NPositions: testBlock, NLayer: 2, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(11)
	p, err := NewPacked(d, testBlock, pad, 3)
	if err != nil {
		t.Fatal(err)
	}
	packed, alone := newBuffers(1, testBlock), newBuffers(1, testBlock)
	V, checked, multi := testVocab, 0, 0
	for p.Position().Epoch == 0 && p.Position().Cursor < len(d.Examples) {
		first := p.Position().Cursor
		p.Next(packed.row(0))
		last := p.Position().Cursor
		if last-first > 1 {
			multi++
		}
		if _, _, err := m.ForwardBatch(packed.batch(0, 1, true)); err != nil {
			t.Fatal(err)
		}
		var logits [][]float32
		for pos := range testBlock {
			logits = append(logits, slices.Clone(m.Logits(0, pos)[:V]))
		}
		off := 0
		for c := first; c < last; c++ {
			i := p.perm[c]
			e := d.Examples[i]
			fill(alone.row(0), e, []int32{0}, d.Masks[i])
			if _, _, err := m.ForwardBatch(alone.batch(0, 1, true)); err != nil {
				t.Fatal(err)
			}
			for j := 0; j+1 < len(e); j++ {
				got, want := logits[off+j], m.Logits(0, j)[:V]
				for k := range want {
					if math.Abs(float64(got[k]-want[k])) > 1e-6 {
						t.Fatalf("example %d position %d logit %d: packed %v, alone %v", i, j, k, got[k], want[k])
					}
				}
				checked++
			}
			off += len(e)
		}
	}
	if multi == 0 || checked == 0 {
		t.Fatalf("no row packed several examples (%d positions checked)", checked)
	}
}
