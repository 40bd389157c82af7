package model

import "fmt"

// Tensor describes one named parameter inside the flat parameter buffer.
type Tensor struct {
	Name  string // Hugging Face GPT-2 name, e.g. "h.0.attn.c_attn.weight"
	Shape []int  // internal shape; linear weights are [out, in]
	Off   int    // offset into the parameter (and gradient) buffer
	Size  int    // number of elements
	// Conv1D marks a linear weight that Hugging Face stores transposed, [in, out].
	Conv1D bool
	// Decay marks tensors that take AdamW weight decay by default
	// (the matrices of linear layers; not biases, LayerNorm or embeddings).
	Decay bool
	// Kind groups tensors for optimizer options: "linear", "bias", "layernorm",
	// "embedding", and for attached parameters "lora", "adapter", "prefix".
	Kind string
	// Frozen tensors get no gradient and no optimizer state.
	Frozen bool
	// Extra marks parameters attached for parameter-efficient tuning; they
	// are not part of the base checkpoint.
	Extra bool
}

// layout lists the parameter tensors of a model in buffer order.
func layout(c Config) []Tensor {
	C, V, P := c.NEmbd, c.VocabSize, c.NPositions
	var ts []Tensor
	off := 0
	add := func(name, kind string, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		t := Tensor{Name: name, Shape: shape, Off: off, Size: n, Kind: kind}
		if kind == "linear" {
			t.Conv1D, t.Decay = true, true
		}
		ts = append(ts, t)
		off += n
	}
	add("wte.weight", "embedding", V, C)
	add("wpe.weight", "embedding", P, C)
	for l := 0; l < c.NLayer; l++ {
		p := fmt.Sprintf("h.%d.", l)
		add(p+"ln_1.weight", "layernorm", C)
		add(p+"ln_1.bias", "layernorm", C)
		add(p+"attn.c_attn.weight", "linear", 3*C, C)
		add(p+"attn.c_attn.bias", "bias", 3*C)
		add(p+"attn.c_proj.weight", "linear", C, C)
		add(p+"attn.c_proj.bias", "bias", C)
		add(p+"ln_2.weight", "layernorm", C)
		add(p+"ln_2.bias", "layernorm", C)
		add(p+"mlp.c_fc.weight", "linear", 4*C, C)
		add(p+"mlp.c_fc.bias", "bias", 4*C)
		add(p+"mlp.c_proj.weight", "linear", C, 4*C)
		add(p+"mlp.c_proj.bias", "bias", C)
	}
	add("ln_f.weight", "layernorm", C)
	add("ln_f.bias", "layernorm", C)
	return ts
}

// layerWeights are the views of one block's tensors inside a buffer.
type layerWeights struct {
	ln1w, ln1b, qkvw, qkvb, attprojw, attprojb []float32
	ln2w, ln2b, fcw, fcb, fcprojw, fcprojb     []float32
}

// weights are views of every tensor inside one flat buffer (parameters or
// gradients share this shape).
type weights struct {
	wte, wpe   []float32
	layers     []layerWeights
	lnfw, lnfb []float32
}

// bind slices buf into the tensors of ts (which must start with layout).
// With grads set, frozen tensors get nil views, which the backward pass reads
// as "skip this weight gradient".
func bind(c Config, ts []Tensor, buf []float32, grads bool) weights {
	i := 0
	next := func() []float32 {
		t := ts[i]
		i++
		if grads && t.Frozen {
			return nil
		}
		return buf[t.Off : t.Off+t.Size : t.Off+t.Size]
	}
	var w weights
	w.wte, w.wpe = next(), next()
	w.layers = make([]layerWeights, c.NLayer)
	for l := range w.layers {
		L := &w.layers[l]
		L.ln1w, L.ln1b, L.qkvw, L.qkvb, L.attprojw, L.attprojb = next(), next(), next(), next(), next(), next()
		L.ln2w, L.ln2b, L.fcw, L.fcb, L.fcprojw, L.fcprojb = next(), next(), next(), next(), next(), next()
	}
	w.lnfw, w.lnfb = next(), next()
	return w
}
