package model

import (
	"fmt"

	"github.com/llmflow/llmflow/model/kernel"
)

// Adapters configures Houlsby bottleneck adapters (Houlsby et al. 2019): in
// every block, after the attention and after the MLP sub-layer and before
// their residual add, the sub-layer output y becomes
// y + up(gelu(down(y))), with down [Bottleneck, C] and up [C, Bottleneck]
// linear layers with biases. up starts at zero, so an attached model
// computes exactly what the base does.
type Adapters struct {
	Bottleneck int
}

// AdapterSites name the two adapters of a block: after attention, after the
// MLP.
var AdapterSites = [2]string{"attn.adapter", "mlp.adapter"}

// bottleneck is one adapter: y += up(gelu(down(y))).
type bottleneck struct {
	first              int // tensor index of down.weight; down.bias, up.weight, up.bias follow
	c, m               int
	dw, db, uw, ub     []float32
	gdw, gdb, guw, gub []float32
	in, z, g           []float32 // saved: sub-layer output [N,C], down output and its GELU [N,m]
}

// AttachAdapters adds a bottleneck adapter after both sub-layers of every
// block: down weights normal (std 0.02, GPT-2's initialisation) from seed,
// biases and up weights zero. It does not freeze the base; call FreezeBase.
func (m *Model) AttachAdapters(cfg Adapters, seed uint64) error {
	if cfg.Bottleneck <= 0 || cfg.Bottleneck > m.Config.NEmbd {
		return fmt.Errorf("adapter: bottleneck must be between 1 and n_embd (%d), got %d", m.Config.NEmbd, cfg.Bottleneck)
	}
	if len(m.ext.adapters) > 0 {
		return fmt.Errorf("adapter: the model already has adapters attached")
	}
	C, M := m.Config.NEmbd, cfg.Bottleneck
	var ts []Tensor
	for l := range m.Config.NLayer {
		for _, site := range AdapterSites {
			p := fmt.Sprintf("h.%d.%s.", l, site)
			ts = append(ts,
				Tensor{Name: p + "down.weight", Shape: []int{M, C}, Size: M * C, Kind: "adapter", Decay: true},
				Tensor{Name: p + "down.bias", Shape: []int{M}, Size: M, Kind: "adapter"},
				Tensor{Name: p + "up.weight", Shape: []int{C, M}, Size: C * M, Kind: "adapter", Decay: true},
				Tensor{Name: p + "up.bias", Shape: []int{C}, Size: C, Kind: "adapter"})
		}
	}
	i := m.attach(ts)
	rng := NewRNG(seed)
	m.ext.adapters, m.ext.adapterCfg = make([][2]*bottleneck, m.Config.NLayer), cfg
	for l := range m.ext.adapters {
		for s := range AdapterSites {
			m.ext.adapters[l][s] = &bottleneck{first: i, c: C, m: M}
			w := m.Params[m.Tensors[i].Off:][:m.Tensors[i].Size]
			for j := range w {
				w[j] = float32(rng.Normal() * 0.02)
			}
			i += 4
		}
	}
	m.rebind()
	return nil
}

func (ad *bottleneck) bind(m *Model) {
	i := ad.first
	ad.dw, ad.db, ad.uw, ad.ub = m.view(m.Params, i, false), m.view(m.Params, i+1, false), m.view(m.Params, i+2, false), m.view(m.Params, i+3, false)
	ad.gdw, ad.gdb, ad.guw, ad.gub = m.view(m.Grads, i, true), m.view(m.Grads, i+1, true), m.view(m.Grads, i+2, true), m.view(m.Grads, i+3, true)
}

func (ad *bottleneck) reserve(N int) {
	ad.in, ad.z, ad.g = kernel.Zeros(N*ad.c), kernel.Zeros(N*ad.m), kernel.Zeros(N*ad.m)
}

// adapterForward applies block l's adapter at site s to the sub-layer
// output y [N, C] in place.
func (e *extensions) adapterForward(l, s int, y []float32, N int) {
	if len(e.adapters) == 0 {
		return
	}
	ad := e.adapters[l][s]
	copy(ad.in[:N*ad.c], y[:N*ad.c]) // for the backward pass
	ad.apply(y, ad.z, ad.g, N)
}

// apply sets y [N, C] += up(gelu(down(y))), leaving the down-projection and
// its GELU in z and g [N, bottleneck].
func (ad *bottleneck) apply(y, z, g []float32, N int) {
	C, M := ad.c, ad.m
	z, g = z[:N*M], g[:N*M]
	matmulForward(z, y[:N*C], ad.dw, ad.db, N, C, M)
	geluForward(g, z)
	kernel.Sgemm(false, true, N, C, M, 1, g, M, ad.uw, M, 1, y, C)
	for n := range N {
		residualAdd(y[n*C:(n+1)*C], ad.ub)
	}
}

// adapterBackward takes dy, the gradient of block l's adapted sub-layer
// output at site s, adds the adapter's parameter gradients and returns the
// gradient of the sub-layer output before the adapter (dy itself without
// adapters).
func (e *extensions) adapterBackward(l, s int, dy []float32, N int) []float32 {
	if len(e.adapters) == 0 {
		return dy
	}
	ad := e.adapters[l][s]
	C, M := ad.c, ad.m
	dg, dz, dsub := e.dh[:N*M], e.dz[:N*M], e.dsub[:N*C]
	// up: dup.weight += dyᵀ·g, dup.bias += Σ dy, dg = dy·up.
	matmulBackward(dg, ad.guw, ad.gub, dy[:N*C], ad.g[:N*M], ad.uw, N, M, C)
	geluBackward(dz, ad.z[:N*M], dg)
	// The adapter's own skip connection passes dy through unchanged.
	copy(dsub, dy[:N*C])
	kernel.MatMulBackward(dsub, ad.gdw, ad.gdb, dz, ad.in[:N*C], ad.dw, N, C, M)
	return dsub
}

// AttachedAdapters returns the configuration of the attached bottleneck
// adapters, or false.
func (m *Model) AttachedAdapters() (Adapters, bool) { return m.ext.adapterCfg, len(m.ext.adapters) > 0 }
