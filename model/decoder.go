package model

import (
	"fmt"
	"math"
)

// Decoder runs the model one token at a time for generation, keeping each
// layer's keys and values (a KV cache) so a new token costs one position's
// work instead of a forward pass over the whole context. It computes the same
// function as Forward on one row; only summation order differs.
type Decoder struct {
	m    *Model
	pos  int
	k, v [][]float32 // per layer, [n_positions, C]
	// Per-token buffers.
	x, ln, qkv, y, tmp, h, hg, att, logits []float32
	mean, rstd                             []float32
}

// NewDecoder returns a decoder for m with an empty context.
func (m *Model) NewDecoder() *Decoder {
	c := m.Config
	C, P := c.NEmbd, c.NPositions
	d := &Decoder{m: m, k: make([][]float32, c.NLayer), v: make([][]float32, c.NLayer)}
	for l := range d.k {
		d.k[l], d.v[l] = make([]float32, P*C), make([]float32, P*C)
	}
	d.x, d.ln, d.qkv, d.y, d.tmp = make([]float32, C), make([]float32, C), make([]float32, 3*C), make([]float32, C), make([]float32, C)
	d.h, d.hg, d.att, d.logits = make([]float32, 4*C), make([]float32, 4*C), make([]float32, P), make([]float32, c.VocabSize)
	d.mean, d.rstd = make([]float32, 1), make([]float32, 1)
	return d
}

// Len is the number of tokens in the context.
func (d *Decoder) Len() int { return d.pos }

// Reset empties the context.
func (d *Decoder) Reset() { d.pos = 0 }

// Feed appends token id to the context and returns the logits for the next
// token (valid until the next call).
func (d *Decoder) Feed(id int32) ([]float32, error) {
	m, c := d.m, d.m.Config
	C, NH, P := c.NEmbd, c.NHead, c.NPositions
	if d.pos >= P {
		return nil, fmt.Errorf("decoder: context full (%d positions)", P)
	}
	if id < 0 || int(id) >= c.VocabSize {
		return nil, fmt.Errorf("decoder: token id %d outside vocabulary of %d", id, c.VocabSize)
	}
	t := d.pos
	e, p := m.p.wte[int(id)*C:][:C], m.p.wpe[t*C:][:C]
	for i := range d.x {
		d.x[i] = e[i] + p[i]
	}
	hs := C / NH
	scale := float32(1 / math.Sqrt(float64(hs)))
	for l := range c.NLayer {
		w := &m.p.layers[l]
		layernormForward(d.ln, d.mean, d.rstd, d.x, w.ln1w, w.ln1b, 1, C, c.LayerNormEps)
		matmulForward(d.qkv, d.ln, w.qkvw, w.qkvb, 1, C, 3*C)
		copy(d.k[l][t*C:(t+1)*C], d.qkv[C:2*C])
		copy(d.v[l][t*C:(t+1)*C], d.qkv[2*C:])
		for h := 0; h < NH; h++ {
			q := d.qkv[h*hs : (h+1)*hs]
			att := d.att[:t+1]
			maxv := float32(math.Inf(-1))
			for t2 := range att {
				s := dot(q, d.k[l][t2*C+h*hs:][:hs]) * scale
				att[t2] = s
				maxv = max(maxv, s)
			}
			var sum float32
			for t2, s := range att {
				ex := float32(math.Exp(float64(s - maxv)))
				att[t2] = ex
				sum += ex
			}
			y := d.y[h*hs : (h+1)*hs]
			clear(y)
			for t2, a := range att {
				a /= sum
				vv := d.v[l][t2*C+h*hs:][:hs]
				for i := range y {
					y[i] += a * vv[i]
				}
			}
		}
		matmulForward(d.tmp, d.y, w.attprojw, w.attprojb, 1, C, C)
		residualAdd(d.x, d.tmp)
		layernormForward(d.ln, d.mean, d.rstd, d.x, w.ln2w, w.ln2b, 1, C, c.LayerNormEps)
		matmulForward(d.h, d.ln, w.fcw, w.fcb, 1, C, 4*C)
		geluForward(d.hg, d.h)
		matmulForward(d.tmp, d.hg, w.fcprojw, w.fcprojb, 1, 4*C, C)
		residualAdd(d.x, d.tmp)
	}
	layernormForward(d.ln, d.mean, d.rstd, d.x, m.p.lnfw, m.p.lnfb, 1, C, c.LayerNormEps)
	matmulForward(d.logits, d.ln, m.p.wte, nil, 1, C, c.VocabSize)
	d.pos++
	return d.logits, nil
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
