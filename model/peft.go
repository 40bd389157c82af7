package model

import (
	"fmt"

	"github.com/llmflow/llmflow/model/kernel"
)

// Parameter-efficient tuning keeps the base weights frozen and trains a few
// parameters attached to them (LoRA, bottleneck adapters) or only some of the
// base tensors (partial freezing). Attached tensors live in the same Params
// and Grads buffers after the base tensors, marked Extra; frozen tensors have
// nil gradient views, so the backward pass skips their weight-gradient
// products while still carrying activation gradients through them, and the
// optimizer holds moments only for trainable tensors (NumTrainable).

// extensions are the parts attached to a model for parameter-efficient
// tuning, with their activation buffers.
type extensions struct {
	lora       [][numLoRAModules]*loraModule // per block; nil where not targeted
	loraCfg    LoRA
	loraOff    bool             // BypassLoRA: compute the base's function
	adapters   [][2]*bottleneck // per block: after attention, after the MLP
	adapterCfg Adapters
	prefix     *prefixState
	// stop is the lowest block whose backward pass is needed: nothing below
	// it trains.
	stop int
	// Scratch shared by every layer: dropped LoRA inputs and input
	// gradients [N, 4C], and the LoRA / adapter hidden gradients.
	rows, btt  int
	xd, dx, dh []float32
	dsub, dz   []float32
	dbt        []float32 // a LoRA B or its gradient, transposed [r, out]
}

// FreezeBase freezes every tensor of the base model, leaving only attached
// parameters trainable.
func (m *Model) FreezeBase() {
	for i := range m.Tensors {
		if !m.Tensors[i].Extra {
			m.Tensors[i].Frozen = true
		}
	}
	m.rebind()
}

// FreezePartial freezes the base model except its top trainableLayers blocks
// and the final LayerNorm, and the token and position embeddings unless
// embeddings is set. The token embedding is tied to the output head, so
// training it trains the head too.
func (m *Model) FreezePartial(trainableLayers int, embeddings bool) error {
	L := m.Config.NLayer
	if trainableLayers < 0 || trainableLayers > L {
		return fmt.Errorf("model: trainable_layers must be between 0 and n_layer (%d), got %d", L, trainableLayers)
	}
	for i := range m.Tensors {
		t := &m.Tensors[i]
		if t.Extra {
			continue
		}
		var l int
		switch {
		case t.Kind == "embedding":
			t.Frozen = !embeddings
		case isPrefix(t.Name, "ln_f."):
			t.Frozen = false
		case scanLayer(t.Name, &l):
			t.Frozen = l < L-trainableLayers
		}
	}
	m.rebind()
	return nil
}

// Unfreeze makes every tensor trainable again.
func (m *Model) Unfreeze() {
	for i := range m.Tensors {
		m.Tensors[i].Frozen = false
	}
	m.rebind()
}

func isPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// scanLayer reads the block index of a tensor named "h.{l}.…".
func scanLayer(name string, l *int) bool {
	_, err := fmt.Sscanf(name, "h.%d.", l)
	return err == nil
}

// NumTrainable is the number of parameters that are not frozen: the size of
// the optimizer's moment buffers.
func (m *Model) NumTrainable() int {
	n := 0
	for _, t := range m.Tensors {
		if !t.Frozen {
			n += t.Size
		}
	}
	return n
}

// eachTrainable calls fn on the buffer ranges of trainable tensors, with
// neighbouring trainable tensors merged into one range, in buffer order.
func (m *Model) eachTrainable(fn func(lo, hi int)) {
	ts := m.Tensors
	for i := 0; i < len(ts); {
		if ts[i].Frozen {
			i++
			continue
		}
		j := i + 1
		for j < len(ts) && !ts[j].Frozen {
			j++
		}
		fn(ts[i].Off, ts[j-1].Off+ts[j-1].Size)
		i = j
	}
}

// attach appends tensors ts (offsets assigned here) to the parameter and
// gradient buffers, zero-valued, and returns the index of the first. The
// caller initialises them and calls rebind.
func (m *Model) attach(ts []Tensor) int {
	first, off := len(m.Tensors), len(m.Params)
	for i := range ts {
		ts[i].Off, ts[i].Extra = off, true
		off += ts[i].Size
	}
	m.Tensors = append(m.Tensors, ts...)
	p, g := kernel.Zeros(off), kernel.Zeros(off)
	copy(p, m.Params)
	copy(g, m.Grads)
	m.Params, m.Grads = p, g
	return first
}

// view returns tensor i's slice of buf, or nil for a frozen tensor's
// gradient.
func (m *Model) view(buf []float32, i int, grad bool) []float32 {
	t := m.Tensors[i]
	if grad && t.Frozen {
		return nil
	}
	return buf[t.Off : t.Off+t.Size : t.Off+t.Size]
}

// rebind refreshes every view into Params and Grads after the buffers or the
// frozen set changed, and where the backward pass may stop.
func (m *Model) rebind() {
	m.ParamsChanged()
	m.p = bind(m.Config, m.Tensors, m.Params, false)
	m.g = bind(m.Config, m.Tensors, m.Grads, true)
	for _, mods := range m.ext.lora {
		for _, lm := range mods {
			if lm != nil {
				lm.bind(m)
			}
		}
	}
	for _, ads := range m.ext.adapters {
		for _, ad := range ads {
			ad.bind(m)
		}
	}
	if m.ext.prefix != nil {
		m.ext.prefix.bind(m)
	}
	m.ext.stop = m.Config.NLayer
	for _, t := range m.Tensors {
		var l int
		switch {
		case t.Frozen:
		case scanLayer(t.Name, &l):
			m.ext.stop = min(m.ext.stop, l)
		case !isPrefix(t.Name, "ln_f."):
			m.ext.stop = 0 // embeddings
		}
	}
	m.ext.rows, m.ext.btt = 0, 0 // buffers may need new sizes
	if m.a != nil {
		m.ext.reserve(m.Config, m.a.bt, m.a.bttMax)
	}
}

// reserve sizes the extensions' activation buffers for N rows (B·T) and
// B·T·T attention entries.
func (e *extensions) reserve(c Config, N, bttMax int) {
	if (N <= e.rows && bttMax <= e.btt) || (len(e.lora) == 0 && len(e.adapters) == 0 && e.prefix == nil) {
		return
	}
	e.rows, e.btt = N, bttMax
	if e.prefix != nil {
		e.prefix.reserve(c, N, bttMax)
	}
	maxR, maxM, maxIn, maxOut := 0, 0, 0, 0
	for _, mods := range e.lora {
		for _, lm := range mods {
			if lm != nil {
				lm.reserve(N)
				maxR, maxIn, maxOut = max(maxR, lm.r), max(maxIn, lm.in), max(maxOut, lm.out)
			}
		}
	}
	for _, ads := range e.adapters {
		for _, ad := range ads {
			ad.reserve(N)
			maxM, maxIn = max(maxM, ad.m), max(maxIn, ad.c)
		}
	}
	e.xd, e.dx = kernel.Zeros(N*maxIn), kernel.Zeros(N*maxIn)
	e.dh, e.dz = kernel.Zeros(N*max(maxR, maxM)), kernel.Zeros(N*maxM)
	e.dsub, e.dbt = kernel.Zeros(N*maxIn), kernel.Zeros(maxR*maxOut)
}
