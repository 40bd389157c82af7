package model

import (
	"fmt"
	"math"
	"slices"

	"github.com/llmflow/llmflow/model/kernel"
)

// LoRAModules are the GPT-2 linear layers LoRA can adapt, named as in the
// Hugging Face checkpoint (without the "h.{i}." prefix).
var LoRAModules = [numLoRAModules]string{"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"}

const numLoRAModules = 4

// LoRA configures low-rank adaptation (Hu et al. 2021): each targeted linear
// layer W gains a trainable update scale·B·A with A [R, in] and B [out, R].
type LoRA struct {
	R       int     // rank
	Alpha   float64 // scaling numerator
	Dropout float64 // dropout probability on the LoRA input path, in training only
	// TargetModules are names from LoRAModules.
	TargetModules []string
	// UseRSLoRA scales by Alpha/√R (rank-stabilised LoRA) instead of Alpha/R.
	UseRSLoRA bool
}

// Scale is the factor applied to B·A.
func (c LoRA) Scale() float32 {
	if c.UseRSLoRA {
		return float32(c.Alpha / math.Sqrt(float64(c.R)))
	}
	return float32(c.Alpha / float64(c.R))
}

// Validate names the first bad field of c.
func (c LoRA) Validate() error {
	switch {
	case c.R <= 0:
		return fmt.Errorf("lora: r must be positive, got %d", c.R)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("lora: dropout must be in [0, 1), got %g", c.Dropout)
	case len(c.TargetModules) == 0:
		return fmt.Errorf("lora: target_modules is empty; choose among %q", LoRAModules)
	}
	for _, t := range c.TargetModules {
		if !slices.Contains(LoRAModules[:], t) {
			return fmt.Errorf("lora: unknown target module %q; choose among %q", t, LoRAModules)
		}
	}
	return nil
}

// loraModule is one adapted linear layer: out += scale · drop(x)·Aᵀ·Bᵀ.
type loraModule struct {
	ia, ib       int // tensor indices of A and B
	r, in, out   int
	scale, p     float32
	A, B, dA, dB []float32
	// Saved: h = scale·x·Aᵀ [N, r], and the dropout mask [N, in] (0 or
	// 1/(1-p)).
	h, mask []float32
	dropped bool // the last forward applied the mask
}

// LoRATensorName is the name of module's A ("lora_A") or B ("lora_B")
// matrix in block l.
func LoRATensorName(l int, module, which string) string {
	return fmt.Sprintf("h.%d.%s.%s.weight", l, module, which)
}

// AttachLoRA adds LoRA matrices to the targeted layers of every block: A
// Kaiming-uniform as in PyTorch's Linear (bound 1/√in) drawn from seed, B
// zero, so the model computes exactly what it did before. It does not
// freeze the base; call FreezeBase.
func (m *Model) AttachLoRA(cfg LoRA, seed uint64) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if len(m.ext.lora) > 0 {
		return fmt.Errorf("lora: the model already has LoRA attached")
	}
	C := m.Config.NEmbd
	if cfg.R > C {
		return fmt.Errorf("lora: r (%d) must not exceed n_embd (%d)", cfg.R, C)
	}
	dims := [numLoRAModules][2]int{{C, 3 * C}, {C, C}, {C, 4 * C}, {4 * C, C}} // in, out
	var ts []Tensor
	for l := range m.Config.NLayer {
		for k, name := range LoRAModules {
			if !slices.Contains(cfg.TargetModules, name) {
				continue
			}
			in, out := dims[k][0], dims[k][1]
			ts = append(ts,
				Tensor{Name: LoRATensorName(l, name, "lora_A"), Shape: []int{cfg.R, in}, Size: cfg.R * in, Kind: "lora", Decay: true},
				Tensor{Name: LoRATensorName(l, name, "lora_B"), Shape: []int{out, cfg.R}, Size: out * cfg.R, Kind: "lora", Decay: true})
		}
	}
	i := m.attach(ts)
	rng := NewRNG(seed)
	m.ext.lora, m.ext.loraCfg = make([][numLoRAModules]*loraModule, m.Config.NLayer), cfg
	for l := range m.Config.NLayer {
		for k, name := range LoRAModules {
			if !slices.Contains(cfg.TargetModules, name) {
				continue
			}
			lm := &loraModule{ia: i, ib: i + 1, r: cfg.R, in: dims[k][0], out: dims[k][1],
				scale: cfg.Scale(), p: float32(cfg.Dropout)}
			a := m.Params[m.Tensors[i].Off:][:m.Tensors[i].Size]
			bound := 1 / math.Sqrt(float64(lm.in))
			for j := range a {
				a[j] = float32((2*rng.Float64() - 1) * bound)
			}
			m.ext.lora[l][k] = lm
			i += 2
		}
	}
	m.rebind()
	return nil
}

func (lm *loraModule) bind(m *Model) {
	lm.A, lm.B = m.view(m.Params, lm.ia, false), m.view(m.Params, lm.ib, false)
	lm.dA, lm.dB = m.view(m.Grads, lm.ia, true), m.view(m.Grads, lm.ib, true)
}

func (lm *loraModule) reserve(N int) {
	lm.h = kernel.Zeros(N * lm.r)
	if lm.p > 0 {
		lm.mask = kernel.Zeros(N * lm.in)
	}
}

// loraForward adds block l's LoRA update of module k to out [N, out] given
// the layer input x [N, in]. In training, dropout masks the LoRA input with
// draws from rng in a fixed order.
func (e *extensions) loraForward(l, k int, out, x []float32, N int, train bool, rng *RNG) {
	if len(e.lora) == 0 || e.loraOff || e.lora[l][k] == nil {
		return
	}
	lm := e.lora[l][k]
	in, r := lm.in, lm.r
	xs := x[:N*in]
	lm.dropped = train && lm.p > 0
	if lm.dropped {
		mask, xd := lm.mask[:N*in], e.xd[:N*in]
		keep := 1 / (1 - lm.p)
		for i := range mask {
			mask[i] = keep
			if rng.Float32() < lm.p {
				mask[i] = 0
			}
			xd[i] = xs[i] * mask[i]
		}
		xs = xd
	}
	// The scale goes on h, where B's gradient needs it too.
	h := lm.h[:N*r]
	kernel.LowRankDown(h, xs, lm.A, N, in, r, lm.scale)
	kernel.LowRankUp(out, h, lm.transposeB(e.dbt), N, lm.out, r)
}

// transposeB writes B transposed, [r, out], into buf and returns it: the
// low-rank kernels read the small factor by rows.
func (lm *loraModule) transposeB(buf []float32) []float32 {
	bt := buf[:lm.r*lm.out]
	for o := range lm.out {
		for j := range lm.r {
			bt[j*lm.out+o] = lm.B[o*lm.r+j]
		}
	}
	return bt
}

// apply adds the update to out [N, out] given the layer input x [N, in],
// without dropout, with h [N, r] as scratch: out += scale·(x·Aᵀ)·Bᵀ.
func (lm *loraModule) apply(out, x, h []float32, N int) {
	in, r := lm.in, lm.r
	h = h[:N*r]
	kernel.LowRankDown(h, x[:N*in], lm.A, N, in, r, lm.scale)
	kernel.Sgemm(false, true, N, lm.out, r, 1, h, r, lm.B, r, 1, out, lm.out)
}

// loraBackward adds the gradients of block l's module k LoRA update given
// dout [N, out]: to dA and dB, and to the layer's input gradient dx [N, in].
func (e *extensions) loraBackward(l, k int, dx, dout, x []float32, N int) {
	if len(e.lora) == 0 || e.loraOff || e.lora[l][k] == nil {
		return
	}
	lm := e.lora[l][k]
	in, r, out := lm.in, lm.r, lm.out
	h, dh := lm.h[:N*r], e.dh[:N*r]
	// dh = scale·dout·B, through Bᵀ [r, out] so that the kernel reads rows.
	bt := lm.transposeB(e.dbt)
	kernel.LowRankDown(dh, dout, bt, N, out, r, lm.scale)
	// dB += scale·doutᵀ·h_unscaled = doutᵀ·h, computed as its transpose.
	clear(bt)
	kernel.LowRankGrad(bt, h, dout, N, out, r)
	for o := range out {
		for j := range r {
			lm.dB[o*r+j] += bt[j*out+o]
		}
	}
	xs := x[:N*in]
	if lm.dropped {
		xd, mask := e.xd[:N*in], lm.mask[:N*in]
		for i := range xd {
			xd[i] = xs[i] * mask[i]
		}
		xs = xd
	}
	kernel.LowRankGrad(lm.dA, dh, xs, N, in, r)
	if dx == nil {
		return
	}
	if !lm.dropped {
		kernel.LowRankUp(dx, dh, lm.A, N, in, r)
		return
	}
	t, mask := e.dx[:N*in], lm.mask[:N*in]
	clear(t)
	kernel.LowRankUp(t, dh, lm.A, N, in, r)
	for i, v := range t {
		dx[i] += v * mask[i]
	}
}

// BypassLoRA switches the attached LoRA off (true) or back on. Switched
// off, the model computes exactly what its base does, so the frozen base of
// a LoRA policy serves as its reference without a second copy in memory.
// Gradients of a pass run switched off reach no LoRA tensor.
func (m *Model) BypassLoRA(off bool) { m.ext.loraOff = off }

// AttachedLoRA returns the configuration of the attached LoRA, or false.
func (m *Model) AttachedLoRA() (LoRA, bool) { return m.ext.loraCfg, len(m.ext.lora) > 0 }

// MergeLoRA returns a new model without attachments whose linear weights
// are the base's plus scale·B·A ([out, in]; in the Hugging Face Conv1D
// layout this is W + scale·AᵀBᵀ). It computes what m does in evaluation
// (no dropout) up to rounding. It fails when m has adapters or prefixes,
// which do not fold into the base weights.
func (m *Model) MergeLoRA() (*Model, error) {
	if len(m.ext.adapters) > 0 || m.ext.prefix != nil {
		return nil, fmt.Errorf("lora: bottleneck adapters and prefixes cannot be merged into the base weights")
	}
	out, err := New(m.Config)
	if err != nil {
		return nil, err
	}
	copy(out.Params, m.Params[:len(out.Params)])
	for l, mods := range m.ext.lora {
		for k, lm := range mods {
			if lm == nil {
				continue
			}
			_, w, _ := out.Tensor(fmt.Sprintf("h.%d.%s.weight", l, LoRAModules[k]))
			kernel.Sgemm(false, false, lm.out, lm.in, lm.r, lm.scale, lm.B, lm.r, lm.A, lm.in, 1, w, lm.in)
		}
	}
	return out, nil
}
