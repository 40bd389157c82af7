package model

import (
	"fmt"
	"math"
	"slices"

	"github.com/llmflow/llmflow/model/kernel"
)

// Model is a GPT-2 with its parameters, gradients and activation buffers.
// A Model is not safe for concurrent use; its methods parallelise internally.
type Model struct {
	Config  Config
	Tensors []Tensor  // parameter tensors in buffer order
	Params  []float32 // all parameters, one buffer (see ParamsChanged)
	Grads   []float32 // gradients, same layout as Params

	p, g weights
	a    *activations
	// The last forward pass's input, read by Backward.
	batch      Batch
	hasTargets bool
	// forwarded: activations of a forward pass that no Backward has used yet.
	forwarded bool
	// gradScale != 0: the logits buffer holds dlogits for this scale.
	gradScale float32
	// lmRows lists the positions the output head ran on in the last
	// forward pass, in order, when it skipped some (see headRows); nil: all
	// of them. The logits buffer then holds their rows only.
	lmRows    []int32
	normParts []float32 // GradNorm's per-chunk sums
	// Parameters attached for parameter-efficient tuning (see peft.go).
	ext extensions
	// precision of the linear layers' multiplies ("": fp32).
	precision Precision
	// DropoutRNG draws LoRA dropout masks in training forward passes; a
	// trainer that resumes a run restores it.
	DropoutRNG RNG
	// packs holds frozen linear weights packed for the kernels, keyed by
	// their first element (see frozenPacked); nil until the first use.
	packs map[*float32]*kernel.PackedWeight
	enc   encoder // the embedding lookup's arguments, kept so a step does not allocate
}

// New returns a model of shape cfg with zero parameters.
func New(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ts := layout(cfg)
	n := 0
	for _, t := range ts {
		n += t.Size
	}
	m := &Model{Config: cfg, Tensors: ts, Params: kernel.Zeros(n), Grads: kernel.Zeros(n)}
	m.p = bind(cfg, ts, m.Params, false)
	m.g = bind(cfg, ts, m.Grads, true)
	return m, nil
}

// Init fills the parameters with GPT-2's initialisation from seed: normal
// (std 0.02) linear weights and embeddings, residual projections scaled by
// 1/sqrt(2·n_layer), zero biases, unit LayerNorm gains.
func (m *Model) Init(seed uint64) {
	m.ParamsChanged()
	rng := NewRNG(seed)
	projStd := 0.02 / math.Sqrt(2*float64(m.Config.NLayer))
	for _, t := range m.Tensors {
		buf := m.Params[t.Off : t.Off+t.Size]
		switch {
		case t.Kind == "bias":
			clear(buf)
		case t.Kind == "layernorm":
			if isSuffix(t.Name, ".weight") {
				for i := range buf {
					buf[i] = 1
				}
			} else {
				clear(buf)
			}
		default:
			std := 0.02
			if isSuffix(t.Name, "c_proj.weight") {
				std = projStd
			}
			for i := range buf {
				buf[i] = float32(rng.Normal() * std)
			}
		}
	}
}

func isSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

// Tensor returns the parameter tensor called name and its values inside
// Params, or false when there is none.
func (m *Model) Tensor(name string) (Tensor, []float32, bool) {
	for _, t := range m.Tensors {
		if t.Name == name {
			return t, m.Params[t.Off : t.Off+t.Size], true
		}
	}
	return Tensor{}, nil, false
}

// Reserve allocates activations for batches of up to B rows of T tokens.
// Forward calls it as needed; calling it up front keeps the step loop free of
// allocation.
func (m *Model) Reserve(B, T int) {
	if m.a == nil || B*T > m.a.bt || T > m.a.tMax || B*T*T > m.a.bttMax {
		m.a = newActivations(m.Config, B, T)
	}
	m.ext.reserve(m.Config, m.a.bt, m.a.bttMax)
}

// ZeroGrad clears the gradients of the trainable tensors (frozen ones are
// never written and stay zero).
func (m *Model) ZeroGrad() { m.eachTrainable(func(lo, hi int) { kernel.Clear(m.Grads[lo:hi]) }) }

// Forward runs the model on B rows of T token ids; it is ForwardBatch with
// only Inputs, Targets and Seg set, and returns the number of targets.
func (m *Model) Forward(inputs, targets, seg []int32, B, T int) (lossSum float64, n int, err error) {
	lossSum, w, err := m.forward(Batch{B: B, T: T, Inputs: inputs, Targets: targets, Seg: seg}, 0)
	return lossSum, int(w), err
}

// ForwardTrain is ForwardTrainBatch with only Inputs, Targets and Seg set.
func (m *Model) ForwardTrain(inputs, targets, seg []int32, B, T int, scale float32) (lossSum float64, n int, err error) {
	lossSum, w, err := m.ForwardTrainBatch(Batch{B: B, T: T, Inputs: inputs, Targets: targets, Seg: seg}, scale)
	return lossSum, int(w), err
}

// ForwardBatch runs the model on b. It returns the weighted sum of the
// per-target losses in fixed order and the sum of the weights of the
// positions with a target (their number without Weights). Without targets
// the logits stay available through Logits. The slices of b must not change
// until Backward has run.
func (m *Model) ForwardBatch(b Batch) (lossSum, weight float64, err error) {
	return m.forward(b, 0)
}

// ForwardTrainBatch is ForwardBatch followed by the first step of
// Backward(scale): the softmax turns into the logit gradient in the same
// pass. Logits are not available afterwards; call Backward with the same
// scale next.
func (m *Model) ForwardTrainBatch(b Batch, scale float32) (lossSum, weight float64, err error) {
	if b.Targets == nil || scale == 0 {
		return 0, 0, fmt.Errorf("model: ForwardTrain needs targets and a non-zero scale")
	}
	return m.forward(b, scale)
}

func (m *Model) forward(b Batch, scale float32) (lossSum, weight float64, err error) {
	if err := b.check(m.Config); err != nil {
		return 0, 0, err
	}
	B, T := b.B, b.T
	if err := m.CheckRowLength(T); err != nil {
		return 0, 0, err
	}
	m.Reserve(B, T)
	m.batch = b
	m.hasTargets = b.Targets != nil
	m.forwarded = true
	cfg, a := m.Config, m.a
	C, NH, V := cfg.NEmbd, cfg.NHead, cfg.VocabSize
	N := B * T
	m.enc.forward(a.encoded[:N*C], b.Inputs, b.positionStarts(), m.positionOffset(), m.p.wte, m.p.wpe, B, T, C)
	train, rng := scale != 0, &m.DropoutRNG
	if m.ext.prefix != nil {
		m.ext.prefix.project()
	}
	// Each residual add is fused with the LayerNorm that reads its sum: the
	// block's ln2, and the next block's ln1 (or the final LayerNorm).
	layernormForward(a.layers[0].ln1[:N*C], a.layers[0].ln1Mean[:N], a.layers[0].ln1Rstd[:N], a.encoded[:N*C],
		m.p.layers[0].ln1w, m.p.layers[0].ln1b, N, C, cfg.LayerNormEps)
	for l := range cfg.NLayer {
		w, la := &m.p.layers[l], &a.layers[l]
		res := a.residualIn(l)[:N*C]
		m.linearForward(la.qkv[:N*3*C], la.ln1[:N*C], w.qkvw, w.qkvb, N, C, 3*C)
		m.ext.loraForward(l, 0, la.qkv, la.ln1, N, train, rng)
		m.ext.attentionForward(l, m.precision == BF16, la.atty[:N*C], la.att[:B*NH*T*T], la.qkv[:N*3*C], b.Seg, B, T, C, NH)
		m.linearForward(la.res2[:N*C], la.atty[:N*C], w.attprojw, w.attprojb, N, C, C)
		m.ext.loraForward(l, 1, la.res2, la.atty, N, train, rng)
		m.ext.adapterForward(l, 0, la.res2, N)
		residualLayerNorm(la.ln2[:N*C], la.ln2Mean[:N], la.ln2Rstd[:N], la.res2[:N*C], res, w.ln2w, w.ln2b, N, C, cfg.LayerNormEps)
		m.linearForward(la.fch[:N*4*C], la.ln2[:N*C], w.fcw, w.fcb, N, C, 4*C)
		m.ext.loraForward(l, 2, la.fch, la.ln2, N, train, rng)
		geluForward(la.fchGelu[:N*4*C], la.fch[:N*4*C])
		m.linearForward(la.res3[:N*C], la.fchGelu[:N*4*C], w.fcprojw, w.fcprojb, N, 4*C, C)
		m.ext.loraForward(l, 3, la.res3, la.fchGelu, N, train, rng)
		m.ext.adapterForward(l, 1, la.res3, N)
		ln, mean, rstd, lw, lb := a.lnf, a.lnfMean, a.lnfRstd, m.p.lnfw, m.p.lnfb
		if l+1 < cfg.NLayer {
			next := &a.layers[l+1]
			ln, mean, rstd, lw, lb = next.ln1, next.ln1Mean, next.ln1Rstd, m.p.layers[l+1].ln1w, m.p.layers[l+1].ln1b
		}
		residualLayerNorm(ln[:N*C], mean[:N], rstd[:N], la.res3[:N*C], la.res2[:N*C], lw, lb, N, C, cfg.LayerNormEps)
	}
	m.gradScale = 0
	if m.lmRows = a.headRows(b, scale); m.lmRows != nil {
		m.headForward(b, scale)
		if b.Targets == nil {
			return 0, 0, nil
		}
		lossSum, weight = weightedSum(a.losses[:N], b.Targets, b.Weights)
		return lossSum, weight, nil
	}
	m.linearForward(a.logits[:N*V], a.lnf[:N*C], m.p.wte, nil, N, C, V)
	if b.Targets == nil {
		return 0, 0, nil
	}
	if scale != 0 {
		crossEntropyBackward(a.losses[:N], a.logits[:N*V], b.Targets, b.Weights, N, V, scale)
		m.gradScale = scale
	} else {
		crossEntropyForward(a.losses[:N], a.logits[:N*V], b.Targets, N, V)
	}
	lossSum, weight = weightedSum(a.losses[:N], b.Targets, b.Weights)
	return lossSum, weight, nil
}

// weightedSum adds up the losses of the positions with a target, each times
// its weight (1 without weights), in order, and the weights themselves.
func weightedSum(losses []float32, targets []int32, weights []float32) (sum, weight float64) {
	for i, l := range losses {
		if targets[i] < 0 {
			continue
		}
		w := 1.0
		if weights != nil {
			w = float64(weights[i])
		}
		sum += float64(l) * w
		weight += w
	}
	return sum, weight
}

// Logits returns the vocabulary scores at position t of row b of the last
// Forward (not valid after ForwardTrain or Backward); nil at a position
// without a target when the batch set HeadOnTargets.
func (m *Model) Logits(b, t int) []float32 {
	V := m.Config.VocabSize
	i := b*m.batch.T + t
	if m.lmRows != nil { // the head ran on some positions only
		k, ok := slices.BinarySearch(m.lmRows, int32(i))
		if !ok {
			return nil
		}
		i = k
	}
	return m.a.logits[i*V : i*V+V]
}

// Losses returns the per-position losses of the last Forward with targets.
// After ForwardTrainBatch they are 0 where a target's weight is 0: a
// training pass skips the output head there.
func (m *Model) Losses() []float32 { return m.a.losses[:m.batch.B*m.batch.T] }

// Backward adds the gradient of scale · (weighted sum of the last forward
// pass's losses) to Grads. Pass scale = 1/(sum of the weights of the targets
// in the optimizer step) so that accumulated micro-batches give the gradient
// of the mean loss, normalised once.
func (m *Model) Backward(scale float32) error {
	if !m.hasTargets {
		return fmt.Errorf("model: Backward needs a Forward with targets first")
	}
	return m.backward(scale, nil)
}

// Hidden returns the final LayerNorm's output of the last forward pass, B*T
// rows of n_embd indexed like the batch: what a head on top of the
// transformer (a reward score, a value) reads.
func (m *Model) Hidden() []float32 {
	return m.a.lnf[:m.batch.B*m.batch.T*m.Config.NEmbd]
}

// BackwardHidden is Backward with dHidden, the gradient of a head's loss
// with respect to Hidden (B*T*n_embd values), added where the language-model
// head's gradient enters. After a forward pass without targets only dHidden
// flows back, and the scale is unused.
func (m *Model) BackwardHidden(scale float32, dHidden []float32) error {
	if !m.forwarded {
		return fmt.Errorf("model: BackwardHidden needs a Forward first")
	}
	if n := m.batch.B * m.batch.T * m.Config.NEmbd; len(dHidden) != n {
		return fmt.Errorf("model: hidden gradient holds %d values, want %d", len(dHidden), n)
	}
	if !m.hasTargets {
		m.gradScale = 0
	}
	return m.backward(scale, dHidden)
}

func (m *Model) backward(scale float32, dHidden []float32) error {
	cfg, a, b := m.Config, m.a, &m.batch
	B, T := b.B, b.T
	C, NH, V := cfg.NEmbd, cfg.NHead, cfg.VocabSize
	N := B * T
	withLM := m.hasTargets
	if withLM && m.gradScale != scale {
		if m.gradScale != 0 {
			return fmt.Errorf("model: Backward scale %g differs from ForwardTrain's %g", scale, m.gradScale)
		}
		if m.lmRows != nil {
			m.headLossGradient(scale)
		} else {
			crossEntropyBackward(a.losses[:N], a.logits[:N*V], b.Targets, b.Weights, N, V, scale)
		}
		m.gradScale = scale
	}
	m.hasTargets = false // the logits are now gradients
	m.forwarded = false
	dres := a.dres[:N*C]
	if withLM {
		// The output head is tied: its weight gradient lands in dwte.
		if m.lmRows != nil {
			m.headBackward(N)
		} else {
			m.linearBackward(a.dC[:N*C], m.g.wte, nil, a.logits[:N*V], a.lnf[:N*C], m.p.wte, N, C, V)
		}
		if dHidden != nil {
			for i, g := range dHidden {
				a.dC[i] += g
			}
		}
	} else {
		copy(a.dC[:N*C], dHidden)
	}
	kernel.Clear(dres)
	last := a.residualIn(cfg.NLayer)[:N*C]
	layernormBackward(dres, m.g.lnfw, m.g.lnfb, a.dC[:N*C], last, m.p.lnfw, a.lnfMean[:N], a.lnfRstd[:N], N, C)
	// Below the lowest block with a trainable tensor no gradient is needed.
	for l := cfg.NLayer - 1; l >= m.ext.stop; l-- {
		w, g, la := &m.p.layers[l], &m.g.layers[l], &a.layers[l]
		res := a.residualIn(l)[:N*C]
		// res3 = res2 + fcproj(gelu(fc(ln2(res2)))): dres flows to res2 unchanged.
		dout := m.ext.adapterBackward(l, 1, dres, N)
		m.linearBackward(a.d4C[:N*4*C], g.fcprojw, g.fcprojb, dout, la.fchGelu[:N*4*C], w.fcprojw, N, 4*C, C)
		m.ext.loraBackward(l, 3, a.d4C, dout, la.fchGelu, N)
		geluBackward(a.d4C[:N*4*C], la.fch[:N*4*C], a.d4C[:N*4*C]) // in place
		m.linearBackward(a.dC[:N*C], g.fcw, g.fcb, a.d4C[:N*4*C], la.ln2[:N*C], w.fcw, N, C, 4*C)
		m.ext.loraBackward(l, 2, a.dC, a.d4C, la.ln2, N)
		layernormBackward(dres, g.ln2w, g.ln2b, a.dC[:N*C], la.res2[:N*C], w.ln2w, la.ln2Mean[:N], la.ln2Rstd[:N], N, C)
		// res2 = res + attproj(attn(qkv(ln1(res)))).
		dout = m.ext.adapterBackward(l, 0, dres, N)
		m.linearBackward(a.dC[:N*C], g.attprojw, g.attprojb, dout, la.atty[:N*C], w.attprojw, N, C, C)
		m.ext.loraBackward(l, 1, a.dC, dout, la.atty, N)
		m.ext.attentionBackward(l, m.precision == BF16, a.d3C[:N*3*C], a.dC[:N*C], la.qkv[:N*3*C], la.att[:B*NH*T*T], b.Seg, B, T, C, NH)
		if l == m.ext.stop && m.g.wte == nil && m.g.wpe == nil && g.ln1w == nil {
			// Nothing below the qkv weights trains: skip the input gradient.
			m.linearBackward(nil, g.qkvw, g.qkvb, a.d3C[:N*3*C], la.ln1[:N*C], w.qkvw, N, C, 3*C)
			m.ext.loraBackward(l, 0, nil, a.d3C, la.ln1, N)
			break
		}
		m.linearBackward(a.dC[:N*C], g.qkvw, g.qkvb, a.d3C[:N*3*C], la.ln1[:N*C], w.qkvw, N, C, 3*C)
		m.ext.loraBackward(l, 0, a.dC, a.d3C, la.ln1, N)
		layernormBackward(dres, g.ln1w, g.ln1b, a.dC[:N*C], res, w.ln1w, la.ln1Mean[:N], la.ln1Rstd[:N], N, C)
	}
	if m.ext.stop == 0 {
		m.enc.backward(m.g.wte, m.g.wpe, dres, b.Inputs, b.positionStarts(), m.positionOffset(), B, T, C)
	}
	if m.ext.prefix != nil {
		m.ext.prefix.backProject()
	}
	return nil
}
