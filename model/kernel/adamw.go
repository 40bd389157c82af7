package kernel

import "math"

// AdamWConfig holds the hyperparameters of one AdamW update.
type AdamWConfig struct {
	LR, Beta1, Beta2, Eps, WeightDecay float32
	// Step is the 1-based optimizer step, used for bias correction.
	Step int
}

// AdamW applies one decoupled-weight-decay Adam update (Loshchilov and
// Hutter; llm.c's adamw_update) to params in place, updating the moment
// buffers m and v. All four slices have the same length.
func AdamW(params, grads, m, v []float32, cfg AdamWConfig) {
	p := acquire()
	defer p.release()
	o := &p.ops.adam
	n := len(params)
	*o = adamOp{p: params, g: grads[:n], m: m[:n], v: v[:n], cfg: cfg,
		c1: float32(1 - math.Pow(float64(cfg.Beta1), float64(cfg.Step))),
		c2: float32(1 - math.Pow(float64(cfg.Beta2), float64(cfg.Step)))}
	p.parallelRange(o, n, 1<<15)
	*o = adamOp{}
}

type adamOp struct {
	p, g, m, v []float32
	cfg        AdamWConfig
	c1, c2     float32
}

func (o *adamOp) rangeRun(lo, hi int, _ *scratch) {
	adamw(o.p[lo:hi], o.g[lo:hi], o.m[lo:hi], o.v[lo:hi], o)
}

func adamwGo(p, g, m, v []float32, o *adamOp) {
	c := o.cfg
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		mi := c.Beta1*m[i] + (1-c.Beta1)*g[i]
		vi := c.Beta2*v[i] + (1-c.Beta2)*g[i]*g[i]
		m[i], v[i] = mi, vi
		mh := mi / o.c1
		vh := vi / o.c2
		p[i] -= c.LR * (mh/(float32(math.Sqrt(float64(vh)))+c.Eps) + c.WeightDecay*p[i])
	}
}
