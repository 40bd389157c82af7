package model

import "github.com/llmflow/llmflow/model/kernel"

// layerActs are one block's saved activations.
type layerActs struct {
	ln1, ln1Mean, ln1Rstd []float32
	qkv, atty, att        []float32
	res2                  []float32
	ln2, ln2Mean, ln2Rstd []float32
	fch, fchGelu, res3    []float32
}

// activations are every buffer a training step touches, sized once for a
// maximum batch shape.
type activations struct {
	bt, tMax, bttMax int
	encoded          []float32
	layers           []layerActs
	lnf              []float32
	lnfMean, lnfRstd []float32
	logits, losses   []float32
	// Gradient scratch reused by every layer during backward.
	dres, dC, d3C, d4C []float32
	// The output head's rows in training passes that skip some (lmhead.go).
	head headBuffers
}

func newActivations(c Config, B, T int) *activations {
	N, C, V, NH := B*T, c.NEmbd, c.VocabSize, c.NHead
	a := &activations{bt: N, tMax: T, bttMax: B * T * T}
	f := kernel.Zeros
	a.encoded = f(N * C)
	a.layers = make([]layerActs, c.NLayer)
	for l := range a.layers {
		a.layers[l] = layerActs{
			ln1: f(N * C), ln1Mean: f(N), ln1Rstd: f(N),
			qkv: f(N * 3 * C), atty: f(N * C), att: f(NH * B * T * T),
			res2: f(N * C),
			ln2:  f(N * C), ln2Mean: f(N), ln2Rstd: f(N),
			fch: f(N * 4 * C), fchGelu: f(N * 4 * C), res3: f(N * C),
		}
	}
	a.lnf, a.lnfMean, a.lnfRstd = f(N*C), f(N), f(N)
	a.logits, a.losses = f(N*V), f(N)
	a.dres, a.dC, a.d3C, a.d4C = f(N*C), f(N*C), f(N*3*C), f(N*4*C)
	return a
}

// residualIn is the residual stream entering block l (l = NLayer: leaving the last block).
func (a *activations) residualIn(l int) []float32 {
	if l == 0 {
		return a.encoded
	}
	return a.layers[l-1].res3
}
