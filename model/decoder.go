package model

import (
	"fmt"
	"math"
)

// Decoder runs the model one token at a time for generation, keeping each
// layer's keys and values (a KV cache) so a new token costs one position's
// work instead of a forward pass over the whole context. It computes the same
// function as Forward on one row, attached LoRA, bottleneck adapters and
// prefix included; only summation order differs. It is a BatchDecoder of one
// row.
type Decoder struct {
	bd   *BatchDecoder
	row  [1]int
	id   [1]int32
	last []float32
}

// NewDecoder returns a decoder for m with an empty context.
func (m *Model) NewDecoder() *Decoder { return &Decoder{bd: m.NewBatchDecoder(1)} }

// Len is the number of tokens in the context.
func (d *Decoder) Len() int { return d.bd.Len(0) }

// Reset empties the context.
func (d *Decoder) Reset() { d.bd.Reset(0) }

// Feed appends token id to the context and returns the logits for the next
// token (valid until the next call).
func (d *Decoder) Feed(id int32) ([]float32, error) {
	d.id[0] = id
	return d.bd.Step(d.row[:], d.id[:])
}

// BatchDecoder is a KV-cache decoder over up to B independent rows, each
// with its own context and position. A step feeds one token to each of a
// set of rows and runs their linear layers as one matrix product, which is
// where a batch gains throughput; attention reads each row's own cache.
// A row's results do not depend on which other rows share its steps. A
// prefix's keys and values come ahead of every row's cache, its tokens
// numbered after them; a projected prefix is computed when the decoder is
// made. A BatchDecoder is not safe for concurrent use.
type BatchDecoder struct {
	m    *Model
	pos  []int       // per row: tokens in its context
	k, v [][]float32 // per layer, [B, n_positions, C]
	// Per-step buffers for up to B rows.
	x, ln, qkv, y, tmp, h, hg, att, logits []float32
	mean, rstd                             []float32
	// Attachments' hidden activations: LoRA [B, r], adapters [B, bottleneck].
	lh, az, ag []float32
}

// NewBatchDecoder returns a decoder for m with B empty rows.
func (m *Model) NewBatchDecoder(B int) *BatchDecoder {
	c := m.Config
	C, P := c.NEmbd, c.NPositions
	d := &BatchDecoder{m: m, pos: make([]int, B), k: make([][]float32, c.NLayer), v: make([][]float32, c.NLayer)}
	for l := range d.k {
		d.k[l], d.v[l] = make([]float32, B*P*C), make([]float32, B*P*C)
	}
	d.x, d.ln, d.qkv, d.y, d.tmp = make([]float32, B*C), make([]float32, B*C), make([]float32, B*3*C), make([]float32, B*C), make([]float32, B*C)
	d.h, d.hg, d.att, d.logits = make([]float32, B*4*C), make([]float32, B*4*C), make([]float32, P), make([]float32, B*c.VocabSize)
	d.mean, d.rstd = make([]float32, B), make([]float32, B)
	e := &m.ext
	if len(e.lora) > 0 {
		d.lh = make([]float32, B*e.loraCfg.R)
	}
	if len(e.adapters) > 0 {
		d.az, d.ag = make([]float32, B*e.adapterCfg.Bottleneck), make([]float32, B*e.adapterCfg.Bottleneck)
	}
	if e.prefix != nil {
		e.prefix.project()
		d.att = make([]float32, e.prefix.cfg.NumVirtualTokens+P)
	}
	return d
}

// Rows is the number of rows B.
func (d *BatchDecoder) Rows() int { return len(d.pos) }

// Len is the number of tokens in the context of row b.
func (d *BatchDecoder) Len(b int) int { return d.pos[b] }

// Reset empties the context of row b.
func (d *BatchDecoder) Reset(b int) { d.pos[b] = 0 }

// Step appends ids[i] to the context of row rows[i], for every i, and
// returns the next-token logits of those rows, row i's at [i·V, (i+1)·V)
// (valid until the next call). rows must be distinct.
func (d *BatchDecoder) Step(rows []int, ids []int32) ([]float32, error) {
	m, c := d.m, d.m.Config
	C, P, V := c.NEmbd, m.MaxTokens(), c.VocabSize
	pos0 := m.positionOffset()
	N := len(rows)
	if N != len(ids) || N > len(d.pos) {
		return nil, fmt.Errorf("decoder: %d rows and %d ids for a batch of %d", N, len(ids), len(d.pos))
	}
	for i, b := range rows {
		if b < 0 || b >= len(d.pos) {
			return nil, fmt.Errorf("decoder: row %d outside batch of %d", b, len(d.pos))
		}
		if d.pos[b] >= P {
			return nil, fmt.Errorf("decoder: context of row %d full (%d tokens)", b, P)
		}
		id := ids[i]
		if id < 0 || int(id) >= V {
			return nil, fmt.Errorf("decoder: token id %d outside vocabulary of %d", id, V)
		}
		e, p := m.p.wte[int(id)*C:][:C], m.p.wpe[(pos0+d.pos[b])*C:][:C]
		x := d.x[i*C : (i+1)*C]
		for j := range x {
			x[j] = e[j] + p[j]
		}
	}
	x, ln, qkv, y, tmp := d.x[:N*C], d.ln[:N*C], d.qkv[:N*3*C], d.y[:N*C], d.tmp[:N*C]
	h, hg, mean, rstd := d.h[:N*4*C], d.hg[:N*4*C], d.mean[:N], d.rstd[:N]
	for l := range c.NLayer {
		w := &m.p.layers[l]
		layernormForward(ln, mean, rstd, x, w.ln1w, w.ln1b, N, C, c.LayerNormEps)
		matmulForward(qkv, ln, w.qkvw, w.qkvb, N, C, 3*C)
		d.lora(l, 0, qkv, ln, N)
		for i, b := range rows {
			d.attend(l, b, qkv[i*3*C:(i+1)*3*C], y[i*C:(i+1)*C])
		}
		matmulForward(tmp, y, w.attprojw, w.attprojb, N, C, C)
		d.lora(l, 1, tmp, y, N)
		d.adapter(l, 0, tmp, N)
		residualAdd(x, tmp)
		layernormForward(ln, mean, rstd, x, w.ln2w, w.ln2b, N, C, c.LayerNormEps)
		matmulForward(h, ln, w.fcw, w.fcb, N, C, 4*C)
		d.lora(l, 2, h, ln, N)
		geluForward(hg, h)
		matmulForward(tmp, hg, w.fcprojw, w.fcprojb, N, 4*C, C)
		d.lora(l, 3, tmp, hg, N)
		d.adapter(l, 1, tmp, N)
		residualAdd(x, tmp)
	}
	layernormForward(ln, mean, rstd, x, m.p.lnfw, m.p.lnfb, N, C, c.LayerNormEps)
	matmulForward(d.logits[:N*V], ln, m.p.wte, nil, N, C, V)
	for _, b := range rows {
		d.pos[b]++
	}
	return d.logits[:N*V], nil
}

// lora adds block l's LoRA update of module k (if any) to out [N, out]
// given the layer input x [N, in].
func (d *BatchDecoder) lora(l, k int, out, x []float32, N int) {
	if e := &d.m.ext; len(e.lora) > 0 && e.lora[l][k] != nil {
		e.lora[l][k].apply(out, x, d.lh, N)
	}
}

// adapter applies block l's bottleneck adapter at site s (if any) to the
// sub-layer output y [N, C] in place.
func (d *BatchDecoder) adapter(l, s int, y []float32, N int) {
	if e := &d.m.ext; len(e.adapters) > 0 {
		e.adapters[l][s].apply(y, d.az, d.ag, N)
	}
}

// attend stores the key and value of row b's new position in layer l's
// cache and writes its attention output over the prefix and the row's
// context to y.
func (d *BatchDecoder) attend(l, b int, qkv, y []float32) {
	c := d.m.Config
	C, NH, P := c.NEmbd, c.NHead, c.NPositions
	t := d.pos[b]
	kc, vc := d.k[l][b*P*C:(b+1)*P*C], d.v[l][b*P*C:(b+1)*P*C]
	copy(kc[t*C:(t+1)*C], qkv[C:2*C])
	copy(vc[t*C:(t+1)*C], qkv[2*C:])
	// The prefix's key and value rows of this layer, W apart.
	var pk, pv []float32
	NP, W := 0, 0
	if ps := d.m.ext.prefix; ps != nil {
		NP, W = ps.cfg.NumVirtualTokens, ps.width
		pk, pv = ps.kv[2*l*C:], ps.kv[(2*l+1)*C:]
	}
	hs := C / NH
	scale := float32(1 / math.Sqrt(float64(hs)))
	for h := 0; h < NH; h++ {
		q := qkv[h*hs : (h+1)*hs]
		att := d.att[:NP+t+1]
		maxv := float32(math.Inf(-1))
		for p := range NP {
			s := dot(q, pk[p*W+h*hs:][:hs]) * scale
			att[p] = s
			maxv = max(maxv, s)
		}
		for t2 := range t + 1 {
			s := dot(q, kc[t2*C+h*hs:][:hs]) * scale
			att[NP+t2] = s
			maxv = max(maxv, s)
		}
		var sum float32
		for t2, s := range att {
			ex := float32(math.Exp(float64(s - maxv)))
			att[t2] = ex
			sum += ex
		}
		yh := y[h*hs : (h+1)*hs]
		clear(yh)
		for j, a := range att {
			a /= sum
			var vv []float32
			if j < NP {
				vv = pv[j*W+h*hs:][:hs]
			} else {
				vv = vc[(j-NP)*C+h*hs:][:hs]
			}
			for i := range yh {
				yh[i] += a * vv[i]
			}
		}
	}
}

// dot is a plain left-to-right inner product of equal-length vectors.
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}
