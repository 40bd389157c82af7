package model

import "math"

// Forward and backward passes of the individual layers. Backward functions
// that produce a parameter gradient add to it (gradients accumulate over
// micro-batches); input gradients are set unless the doc says "adds".

// encoderForward sets out[b,t,:] = wte[inp[b,t]] + wpe[t].
func encoderForward(out []float32, inp []int32, wte, wpe []float32, B, T, C int) {
	for b := 0; b < B; b++ {
		for t := 0; t < T; t++ {
			o := out[(b*T+t)*C : (b*T+t+1)*C]
			e := wte[int(inp[b*T+t])*C:][:C]
			p := wpe[t*C : (t+1)*C]
			for i := range o {
				o[i] = e[i] + p[i]
			}
		}
	}
}

// encoderBackward adds dout to the rows of dwte and dwpe that were read.
// Sequential so that repeated tokens accumulate in a fixed order.
func encoderBackward(dwte, dwpe, dout []float32, inp []int32, B, T, C int) {
	for b := 0; b < B; b++ {
		for t := 0; t < T; t++ {
			d := dout[(b*T+t)*C : (b*T+t+1)*C]
			e := dwte[int(inp[b*T+t])*C:][:C]
			p := dwpe[t*C : (t+1)*C]
			for i, v := range d {
				e[i] += v
				p[i] += v
			}
		}
	}
}

// layernormForward normalises each of the N rows of inp (C wide) and stores
// the row mean and reciprocal standard deviation for the backward pass.
func layernormForward(out, mean, rstd, inp, w, bias []float32, N, C int, eps float32) {
	parallelFor(N, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			x := inp[n*C : n*C+C]
			var m float32
			for _, v := range x {
				m += v
			}
			m /= float32(C)
			var s float32
			for _, v := range x {
				d := v - m
				s += d * d
			}
			s /= float32(C)
			r := float32(1 / math.Sqrt(float64(s+eps)))
			o := out[n*C : n*C+C]
			for i, v := range x {
				o[i] = (v-m)*r*w[i] + bias[i]
			}
			mean[n], rstd[n] = m, r
		}
	})
}

// layernormBackward adds the input gradient to dinp and the parameter
// gradients to dw and db.
func layernormBackward(dinp, dw, db, dout, inp, w, mean, rstd []float32, N, C int) {
	parallelFor(N, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			x, d, di := inp[n*C:n*C+C], dout[n*C:n*C+C], dinp[n*C:n*C+C]
			m, r := mean[n], rstd[n]
			var dnormMean, dnormNormMean float32
			for i, v := range x {
				dn := w[i] * d[i]
				dnormMean += dn
				dnormNormMean += dn * (v - m) * r
			}
			dnormMean /= float32(C)
			dnormNormMean /= float32(C)
			for i, v := range x {
				norm := (v - m) * r
				di[i] += (w[i]*d[i] - dnormMean - norm*dnormNormMean) * r
			}
		}
	})
	// Parameter gradients reduce over rows: split by channel, sum rows in order.
	const cb = 64
	parallelFor((C+cb-1)/cb, func(lo, hi int) {
		for c0 := lo * cb; c0 < min(hi*cb, C); c0 += cb {
			c1 := min(c0+cb, C)
			for n := 0; n < N; n++ {
				x, d := inp[n*C:n*C+C], dout[n*C:n*C+C]
				m, r := mean[n], rstd[n]
				for i := c0; i < c1; i++ {
					db[i] += d[i]
					dw[i] += (x[i] - m) * r * d[i]
				}
			}
		}
	})
}

const geluScale = 0.7978845608028654 // sqrt(2/pi)

// geluForward applies GELU with the tanh approximation (GPT-2's "gelu_new").
func geluForward(out, inp []float32) {
	parallelFor((len(inp)+1023)/1024, func(lo, hi int) {
		for i := lo * 1024; i < min(hi*1024, len(inp)); i++ {
			x := inp[i]
			u := geluScale * (x + 0.044715*x*x*x)
			out[i] = 0.5 * x * (1 + tanhf(u))
		}
	})
}

// geluBackward sets dinp = dout · gelu'(inp).
func geluBackward(dinp, inp, dout []float32) {
	parallelFor((len(inp)+1023)/1024, func(lo, hi int) {
		for i := lo * 1024; i < min(hi*1024, len(inp)); i++ {
			x := inp[i]
			u := geluScale * (x + 0.044715*x*x*x)
			th := tanhf(u)
			sech2 := 1 - th*th
			g := 0.5*(1+th) + 0.5*x*sech2*geluScale*(1+3*0.044715*x*x)
			dinp[i] = g * dout[i]
		}
	})
}

// residualAdd sets out += x.
func residualAdd(out, x []float32) {
	x = x[:len(out)]
	for i := range out {
		out[i] += x[i]
	}
}

// attentionForward computes causal multi-head attention from qkv [B,T,3C]
// (query, key, value blocks of C channels) into out [B,T,C]. Position t of
// row b attends to positions seg[b*T+t] .. t (seg nil: 0 .. t), which keeps
// packed documents apart. att [B,NH,T,T] keeps the softmax for backward.
func attentionForward(out, att, qkv []float32, seg []int32, B, T, C, NH int) {
	hs := C / NH
	scale := float32(1 / math.Sqrt(float64(hs)))
	parallelFor(B*NH, func(lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			b, h := bh/NH, bh%NH
			for t := 0; t < T; t++ {
				q := qkv[(b*T+t)*3*C+h*hs:][:hs]
				row := att[(bh*T+t)*T : (bh*T+t)*T+T]
				s := 0
				if seg != nil {
					s = int(seg[b*T+t])
				}
				maxv := float32(math.Inf(-1))
				for t2 := s; t2 <= t; t2++ {
					k := qkv[(b*T+t2)*3*C+C+h*hs:][:hs]
					v := dot(q, k) * scale
					row[t2] = v
					if v > maxv {
						maxv = v
					}
				}
				var sum float32
				for t2 := s; t2 <= t; t2++ {
					e := expf(row[t2] - maxv)
					row[t2] = e
					sum += e
				}
				inv := 1 / sum
				clear(row[:s])
				clear(row[t+1:])
				o := out[(b*T+t)*C+h*hs:][:hs]
				clear(o)
				for t2 := s; t2 <= t; t2++ {
					a := row[t2] * inv
					row[t2] = a
					v := qkv[(b*T+t2)*3*C+2*C+h*hs:][:hs]
					for i := range o {
						o[i] += a * v[i]
					}
				}
			}
		}
	})
}

// attentionBackward sets dqkv from dout. scratch holds B*NH*T floats.
func attentionBackward(dqkv, dout, qkv, att []float32, seg []int32, B, T, C, NH int, scratch []float32) {
	hs := C / NH
	scale := float32(1 / math.Sqrt(float64(hs)))
	parallelFor(B*NH, func(lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			b, h := bh/NH, bh%NH
			datt := scratch[bh*T : bh*T+T]
			for t := 0; t < T; t++ {
				base := (b*T + t) * 3 * C
				clear(dqkv[base+h*hs:][:hs])
				clear(dqkv[base+C+h*hs:][:hs])
				clear(dqkv[base+2*C+h*hs:][:hs])
			}
			for t := 0; t < T; t++ {
				s := 0
				if seg != nil {
					s = int(seg[b*T+t])
				}
				row := att[(bh*T+t)*T : (bh*T+t)*T+T]
				do := dout[(b*T+t)*C+h*hs:][:hs]
				var sum float32
				for t2 := s; t2 <= t; t2++ {
					vOff := (b*T+t2)*3*C + 2*C + h*hs
					d := dot(do, qkv[vOff:vOff+hs])
					datt[t2] = d
					sum += d * row[t2]
					dv := dqkv[vOff : vOff+hs]
					a := row[t2]
					for i := range dv {
						dv[i] += a * do[i]
					}
				}
				q := qkv[(b*T+t)*3*C+h*hs:][:hs]
				dq := dqkv[(b*T+t)*3*C+h*hs:][:hs]
				for t2 := s; t2 <= t; t2++ {
					dp := row[t2] * (datt[t2] - sum) * scale
					kOff := (b*T+t2)*3*C + C + h*hs
					k := qkv[kOff : kOff+hs]
					dk := dqkv[kOff : kOff+hs]
					for i := range dq {
						dq[i] += dp * k[i]
						dk[i] += dp * q[i]
					}
				}
			}
		}
	})
}

// crossEntropyForward turns logits [N,V] into probabilities in place and
// sets losses[n] = -log p[targets[n]] (0 where targets[n] < 0).
func crossEntropyForward(losses, logits []float32, targets []int32, N, V int) {
	parallelFor(N, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			row := logits[n*V : n*V+V]
			var z float32
			tg := targets[n]
			if tg >= 0 {
				z = row[tg]
			}
			maxv, sum := softmaxRow(row)
			if tg >= 0 {
				// log-sum-exp form stays finite when p[target] underflows.
				losses[n] = float32(math.Log(float64(sum))) + maxv - z
			} else {
				losses[n] = 0
			}
		}
	})
}

// softmaxRow replaces x by softmax(x) and returns max(x) and the sum of
// exp(x - max).
func softmaxRow(x []float32) (maxv, sum float32) {
	maxv = x[0]
	for _, v := range x {
		if v > maxv {
			maxv = v
		}
	}
	for i, v := range x {
		e := expf(v - maxv)
		x[i] = e
		sum += e
	}
	inv := 1 / sum
	for i := range x {
		x[i] *= inv
	}
	return maxv, sum
}

// crossEntropyBackward turns probs [N,V] into dlogits in place:
// scale · (p - onehot(target)), zero for rows without a target.
func crossEntropyBackward(probs []float32, targets []int32, N, V int, scale float32) {
	parallelFor(N, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			p := probs[n*V : n*V+V]
			tg := targets[n]
			if tg < 0 {
				clear(p)
				continue
			}
			for i := range p {
				p[i] *= scale
			}
			p[tg] -= scale
		}
	})
}
