package mix

import "math/rand/v2"

// picker decides, row by row, which source the next output row comes from.
// It depends only on the seed, the configuration and the rows each source
// can give, never on batch boundaries, so the output is reproducible.
type picker struct {
	rng     *rand.Rand
	weights []float64 // nil: proportional to the rows left
	left    []int64   // rows each source can still give
	stop    bool
}

// pickerStream separates the mix's generator from other uses of the same
// node seed.
const pickerStream = 0x6d6978 // "mix"

func newPicker(cfg Config, rows []int64, seed int64) *picker {
	p := &picker{
		rng:     rand.New(rand.NewPCG(uint64(seed), pickerStream)),
		weights: cfg.Weights,
		left:    make([]int64, len(rows)),
		stop:    cfg.OnExhausted != OnExhaustedContinue,
	}
	for i, n := range rows {
		if i < len(cfg.MaxRows) && cfg.MaxRows[i] > 0 && cfg.MaxRows[i] < n {
			n = cfg.MaxRows[i]
		}
		p.left[i] = n
	}
	return p
}

// next returns the source of the next row, or -1 when the mix is over.
func (p *picker) next() int {
	i := p.choose()
	if i >= 0 {
		p.left[i]--
	}
	return i
}

func (p *picker) choose() int {
	if p.weights == nil {
		var total int64
		for _, n := range p.left {
			total += n
		}
		if total == 0 {
			return -1
		}
		r := p.rng.Int64N(total)
		for i, n := range p.left {
			if r < n {
				return i
			}
			r -= n
		}
		return -1 // unreachable: r < total
	}
	var total float64
	last := -1
	for i, w := range p.weights {
		if p.left[i] == 0 {
			if p.stop {
				return -1
			}
			continue
		}
		total += w
		last = i
	}
	if last < 0 {
		return -1
	}
	r := p.rng.Float64() * total
	for i, w := range p.weights {
		if p.left[i] == 0 {
			continue
		}
		if r < w {
			return i
		}
		r -= w
	}
	return last // rounding left r at or past the last weight
}
