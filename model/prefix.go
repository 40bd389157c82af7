package model

import (
	"fmt"
	"math"

	"github.com/llmflow/llmflow/model/kernel"
)

// Prefix configures prefix tuning (Li & Liang 2021): every block's attention
// gains NumVirtualTokens trainable key/value pairs that every token attends
// to, besides its own causal, document-restricted context. The tokens are
// numbered after the virtual ones, from NumVirtualTokens, as transformers
// numbers them after the past key/values PEFT passes, so an adapter file
// computes the same in both; a row holds at most n_positions −
// NumVirtualTokens tokens (MaxTokens).
//
// The prefixes form one matrix [NumVirtualTokens, n_layer·2·n_embd] laid out
// as the PEFT library's prompt_embeddings: for block l, columns
// [2l·C, (2l+1)·C) are the keys and [(2l+1)·C, (2l+2)·C) the values, heads
// side by side. With Projection > 0 they are computed in training by PEFT's
// reparameterisation, Linear(C, Projection) → tanh → Linear(Projection,
// n_layer·2·C) over a trainable [NumVirtualTokens, C] embedding;
// PrefixEmbeddings gives the final matrix either way.
type Prefix struct {
	NumVirtualTokens int
	Projection       int
}

// Prefix tensor names, after PEFT's PrefixEncoder modules.
const (
	PrefixEmbeddingsName = "prefix.prompt_embeddings"
	prefixEmbeddingName  = "prefix.embedding.weight"
)

// prefixState is the attached prefix with its buffers.
type prefixState struct {
	cfg   Prefix
	first int // index of the first prefix tensor
	width int // n_layer·2·C
	// kv [NP, width] are the prefixes attention reads and dkv their
	// gradient: views of the parameter and gradient buffers without
	// projection, computed buffers with it.
	kv, dkv []float32
	// Projection views: embedding [NP,C], w1 [H,C], b1 [H], w2 [width,H],
	// b2 [width], their gradients, and the hidden activations [NP,H].
	emb, w1, b1, w2, b2      []float32
	gemb, gw1, gb1, gw2, gb2 []float32
	hid, dhid                []float32
	// Per layer attention probabilities [B,NH,T,NP+T]; per-sequence prefix
	// gradients [B,NP,C].
	att      [][]float32
	dpk, dpv []float32
}

// AttachPrefix adds trainable prefixes to every block's attention, drawn
// from seed as PEFT initialises them: embeddings standard normal, linear
// layers uniform in ±1/√in. It does not freeze the base; call FreezeBase.
func (m *Model) AttachPrefix(cfg Prefix, seed uint64) error {
	C, L := m.Config.NEmbd, m.Config.NLayer
	switch {
	case cfg.NumVirtualTokens <= 0 || cfg.NumVirtualTokens >= m.Config.NPositions:
		// The tokens take the positions after the virtual ones.
		return fmt.Errorf("prefix: num_virtual_tokens must be between 1 and n_positions−1 (%d), got %d", m.Config.NPositions-1, cfg.NumVirtualTokens)
	case cfg.Projection < 0 || cfg.Projection > 4*C:
		return fmt.Errorf("prefix: prefix_projection hidden size must be between 0 and 4·n_embd (%d), got %d", 4*C, cfg.Projection)
	case m.ext.prefix != nil:
		return fmt.Errorf("prefix: the model already has a prefix attached")
	}
	NP, H, W := cfg.NumVirtualTokens, cfg.Projection, L*2*C
	ts := []Tensor{{Name: PrefixEmbeddingsName, Shape: []int{NP, W}, Size: NP * W, Kind: "prefix"}}
	if H > 0 {
		ts = []Tensor{
			{Name: prefixEmbeddingName, Shape: []int{NP, C}, Size: NP * C, Kind: "prefix"},
			{Name: "prefix.transform.0.weight", Shape: []int{H, C}, Size: H * C, Kind: "prefix", Decay: true},
			{Name: "prefix.transform.0.bias", Shape: []int{H}, Size: H, Kind: "prefix"},
			{Name: "prefix.transform.2.weight", Shape: []int{W, H}, Size: W * H, Kind: "prefix", Decay: true},
			{Name: "prefix.transform.2.bias", Shape: []int{W}, Size: W, Kind: "prefix"},
		}
	}
	i := m.attach(ts)
	rng := NewRNG(seed)
	for j, t := range m.Tensors[i:] {
		v := m.Params[t.Off : t.Off+t.Size]
		if j == 0 {
			for k := range v {
				v[k] = float32(rng.Normal())
			}
			continue
		}
		in := C // transform.0 and its bias
		if j >= 3 {
			in = H
		}
		bound := 1 / math.Sqrt(float64(in))
		for k := range v {
			v[k] = float32((2*rng.Float64() - 1) * bound)
		}
	}
	ps := &prefixState{cfg: cfg, first: i, width: W}
	if H > 0 {
		ps.kv, ps.dkv = kernel.Zeros(NP*W), kernel.Zeros(NP*W)
		ps.hid, ps.dhid = kernel.Zeros(NP*H), kernel.Zeros(NP*H)
	}
	m.ext.prefix = ps
	m.rebind()
	return nil
}

// AttachedPrefix returns the configuration of the attached prefix, or false.
func (m *Model) AttachedPrefix() (Prefix, bool) {
	if m.ext.prefix == nil {
		return Prefix{}, false
	}
	return m.ext.prefix.cfg, true
}

// MaxTokens is the longest row of tokens the model takes: n_positions, less
// the virtual tokens of an attached prefix, which take the first positions.
func (m *Model) MaxTokens() int { return m.Config.NPositions - m.positionOffset() }

// CheckRowLength refuses rows of T tokens that do not fit the model's
// positions, naming the prefix's share of them.
func (m *Model) CheckRowLength(T int) error {
	P, NP := m.Config.NPositions, m.positionOffset()
	switch {
	case T <= 0:
		return fmt.Errorf("model: rows of %d tokens; they need at least one", T)
	case NP > 0 && T+NP > P:
		return fmt.Errorf("model: rows of %d tokens behind the prefix's %d virtual tokens need %d positions, more than n_positions (%d); use rows of at most %d tokens",
			T, NP, T+NP, P, P-NP)
	case T > P:
		return fmt.Errorf("model: rows of %d tokens are longer than the model's context (n_positions %d)", T, P)
	}
	return nil
}

// positionOffset is the position of the first token: the number of virtual
// tokens ahead of it.
func (m *Model) positionOffset() int {
	if m.ext.prefix == nil {
		return 0
	}
	return m.ext.prefix.cfg.NumVirtualTokens
}

// PrefixEmbeddings returns the prefixes [NumVirtualTokens, n_layer·2·n_embd]
// the attention uses (through the projection where there is one), in PEFT's
// prompt_embeddings layout, or nil without a prefix. The slice is the
// model's own: valid until the parameters change.
func (m *Model) PrefixEmbeddings() []float32 {
	ps := m.ext.prefix
	if ps == nil {
		return nil
	}
	ps.project()
	return ps.kv
}

func (ps *prefixState) bind(m *Model) {
	i := ps.first
	if ps.cfg.Projection == 0 {
		ps.kv, ps.dkv = m.view(m.Params, i, false), m.view(m.Grads, i, true)
		return
	}
	ps.emb, ps.w1, ps.b1, ps.w2, ps.b2 = m.view(m.Params, i, false), m.view(m.Params, i+1, false),
		m.view(m.Params, i+2, false), m.view(m.Params, i+3, false), m.view(m.Params, i+4, false)
	ps.gemb, ps.gw1, ps.gb1, ps.gw2, ps.gb2 = m.view(m.Grads, i, true), m.view(m.Grads, i+1, true),
		m.view(m.Grads, i+2, true), m.view(m.Grads, i+3, true), m.view(m.Grads, i+4, true)
}

func (ps *prefixState) reserve(c Config, N, bttMax int) {
	NP := ps.cfg.NumVirtualTokens
	ps.att = make([][]float32, c.NLayer)
	// B·T·(NP+T) ≤ N·NP + B·T·T.
	for l := range ps.att {
		ps.att[l] = kernel.Zeros(c.NHead * (N*NP + bttMax))
	}
	ps.dpk, ps.dpv = kernel.Zeros(N*NP*c.NEmbd), kernel.Zeros(N*NP*c.NEmbd)
}

// project computes kv from the embedding through the MLP (with a
// projection; a no-op without).
func (ps *prefixState) project() {
	if ps.cfg.Projection == 0 {
		return
	}
	NP, H, C, W := ps.cfg.NumVirtualTokens, ps.cfg.Projection, len(ps.emb)/ps.cfg.NumVirtualTokens, ps.width
	matmulForward(ps.hid, ps.emb, ps.w1, ps.b1, NP, C, H)
	for i, v := range ps.hid {
		ps.hid[i] = float32(math.Tanh(float64(v)))
	}
	matmulForward(ps.kv, ps.hid, ps.w2, ps.b2, NP, H, W)
}

// backProject adds the gradients of the projection given dkv, then clears
// dkv for the next pass.
func (ps *prefixState) backProject() {
	if ps.cfg.Projection == 0 {
		return
	}
	NP, H, C, W := ps.cfg.NumVirtualTokens, ps.cfg.Projection, len(ps.emb)/ps.cfg.NumVirtualTokens, ps.width
	matmulBackward(ps.dhid, ps.gw2, ps.gb2, ps.dkv, ps.hid, ps.w2, NP, H, W)
	for i, h := range ps.hid {
		ps.dhid[i] *= 1 - h*h
	}
	kernel.MatMulBackward(ps.gemb, ps.gw1, ps.gb1, ps.dhid, ps.emb, ps.w1, NP, C, H)
	clear(ps.dkv)
}

// attentionForward is the model's attention for block l, through the
// prefix when there is one.
func (e *extensions) attentionForward(l int, bf16 bool, out, att, qkv []float32, seg []int32, B, T, C, NH int) {
	ps := e.prefix
	if ps == nil {
		attentionForward(bf16, out, att, qkv, seg, B, T, C, NH)
		return
	}
	NP := ps.cfg.NumVirtualTokens
	kernel.AttentionPrefixForward(out, ps.att[l], qkv, ps.kv[2*l*C:], ps.kv[(2*l+1)*C:], NP, ps.width, seg, B, T, C, NH)
}

// attentionBackward sets dqkv from dout for block l and, with a prefix,
// adds the prefix gradients summed over sequences in order.
func (e *extensions) attentionBackward(l int, bf16 bool, dqkv, dout, qkv, att []float32, seg []int32, B, T, C, NH int) {
	ps := e.prefix
	if ps == nil {
		attentionBackward(bf16, dqkv, dout, qkv, att, seg, B, T, C, NH)
		return
	}
	NP, W := ps.cfg.NumVirtualTokens, ps.width
	kernel.AttentionPrefixBackward(dqkv, ps.dpk, ps.dpv, dout, qkv, ps.att[l], ps.kv[2*l*C:], ps.kv[(2*l+1)*C:], NP, W, seg, B, T, C, NH)
	for b := range B {
		for p := range NP {
			residualAdd(ps.dkv[p*W+2*l*C:][:C], ps.dpk[(b*NP+p)*C:][:C])
			residualAdd(ps.dkv[p*W+(2*l+1)*C:][:C], ps.dpv[(b*NP+p)*C:][:C])
		}
	}
}
