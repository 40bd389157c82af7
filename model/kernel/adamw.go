package kernel

import "math"

// AdamWConfig holds the hyperparameters of one AdamW update.
type AdamWConfig struct {
	LR, Beta1, Beta2, Eps, WeightDecay float32
	// Step is the 1-based optimizer step, used for bias correction.
	Step int
	// GradScale multiplies each gradient as it is read (0 is taken as 1):
	// a clip factor applied here, bit for bit as a separate scaling pass
	// would, saves that pass over the gradients.
	GradScale float32
}

// AdamW applies one decoupled-weight-decay Adam update (Loshchilov and
// Hutter; llm.c's adamw_update) to params in place, updating the moment
// buffers m and v. All four slices have the same length.
func AdamW(params, grads, m, v []float32, cfg AdamWConfig) {
	p := acquire()
	defer p.release()
	o := &p.ops.adam
	n := len(params)
	gs := cfg.GradScale
	if gs == 0 {
		gs = 1
	}
	*o = adamOp{p: params, g: grads[:n], m: m[:n], v: v[:n], cfg: cfg, gs: gs,
		c1: float32(1 - math.Pow(float64(cfg.Beta1), float64(cfg.Step))),
		c2: float32(1 - math.Pow(float64(cfg.Beta2), float64(cfg.Step)))}
	p.parallelRange(o, n, 1<<15)
	*o = adamOp{}
}

type adamOp struct {
	p, g, m, v []float32
	cfg        AdamWConfig
	c1, c2, gs float32
}

func (o *adamOp) rangeRun(lo, hi int, _ *scratch) {
	adamw(o.p[lo:hi], o.g[lo:hi], o.m[lo:hi], o.v[lo:hi], o)
}

func adamwGo(p, g, m, v []float32, o *adamOp) {
	c := o.cfg
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		gi := float32(g[i] * o.gs)
		mi := c.Beta1*m[i] + (1-c.Beta1)*gi
		vi := c.Beta2*v[i] + (1-c.Beta2)*gi*gi
		m[i], v[i] = mi, vi
		mh := mi / o.c1
		vh := vi / o.c2
		p[i] -= c.LR * (mh/(float32(math.Sqrt(float64(vh)))+c.Eps) + c.WeightDecay*p[i])
	}
}
