package kernel

import (
	"fmt"
	"math"
)

// AttentionPrefixForward is AttentionForward with NP learned key/value pairs
// in front of every sequence (prefix tuning): each token attends to all NP
// of them and to its own causal, document-restricted range. pk and pv hold
// the prefix keys and values as NP rows of stride ldp, head h in columns
// [h·C/NH, (h+1)·C/NH). att is [B,NH,T,NP+T]: per token the NP prefix
// probabilities, then T token probabilities.
func AttentionPrefixForward(out, att, qkv, pk, pv []float32, NP, ldp int, docStart []int32, B, T, C, NH int) {
	checkAttentionPrefix(qkv, att, pk, pv, NP, ldp, docStart, B, T, C, NH)
	p := acquire()
	defer p.release()
	a := &p.attn
	*a = attnTask{attnArgs: attnArgs{out: out, att: att, qkv: qkv, pk: pk, pv: pv, np: NP, ldp: ldp, docStart: docStart, B: B, T: T, C: C, NH: NH}}
	a.next.Store(0)
	p.do(a, B*NH)
	*a = attnTask{}
}

// AttentionPrefixBackward sets dqkv[B,T,3C] to the gradients of
// AttentionPrefixForward and dpk and dpv [B,NP,C] to each sequence's prefix key
// and value gradients, which the caller sums over sequences in a fixed
// order.
func AttentionPrefixBackward(dqkv, dpk, dpv, dout, qkv, att, pk, pv []float32, NP, ldp int, docStart []int32, B, T, C, NH int) {
	checkAttentionPrefix(qkv, att, pk, pv, NP, ldp, docStart, B, T, C, NH)
	if len(dpk) < B*NP*C || len(dpv) < B*NP*C {
		panic("kernel: prefix gradients are shorter than B·NP·C")
	}
	p := acquire()
	defer p.release()
	a := &p.attn
	*a = attnTask{attnArgs: attnArgs{back: true, dqkv: dqkv, dpk: dpk, dpv: dpv, dout: dout, att: att, qkv: qkv, pk: pk, pv: pv,
		np: NP, ldp: ldp, docStart: docStart, B: B, T: T, C: C, NH: NH}}
	a.next.Store(0)
	p.do(a, B*NH)
	*a = attnTask{}
}

func checkAttentionPrefix(qkv, att, pk, pv []float32, NP, ldp int, docStart []int32, B, T, C, NH int) {
	checkAttention(qkv, att, docStart, B, T, C, NH)
	if NP <= 0 || ldp < C || len(pk) < (NP-1)*ldp+C || len(pv) < (NP-1)*ldp+C {
		panic(fmt.Sprintf("kernel: prefix of %d rows, stride %d does not fit its buffers for width %d", NP, ldp, C))
	}
	if len(att) < B*NH*T*(NP+T) {
		panic("kernel: attention buffer is shorter than B·NH·T·(NP+T)")
	}
}

func (a *attnTask) forwardPrefix(s *scratch, b, h int) {
	T, C, hs, NP := a.T, a.C, a.C/a.NH, a.np
	C3, W := 3*C, a.np+a.T
	scale := float32(1 / math.Sqrt(float64(hs)))
	q := a.qkv[b*T*C3+h*hs:]
	k, v := q[C:], q[2*C:]
	pk, pv := a.pk[h*hs:], a.pv[h*hs:]
	P := a.att[(b*a.NH+h)*T*W : (b*a.NH+h+1)*T*W]
	o := a.out[b*T*C+h*hs:]
	g := &s.g
	g.mul(s, precFP32, triNone, false, true, T, NP, hs, scale, q, C3, pk, a.ldp, 0, P, W)
	g.mul(s, precFP32, triSkipUpper, false, true, T, T, hs, scale, q, C3, k, C3, 0, P[NP:], W)
	for t := range T {
		row := P[t*W : (t+1)*W]
		st := a.start(b, t)
		clear(row[NP : NP+st])
		clear(row[NP+t+1:])
		pre, x := row[:NP], row[NP+st:NP+t+1]
		m := max(maxf(pre), maxf(x))
		sum := expShift(pre, pre, m) + expShift(x, x, m)
		Scale(1/sum, pre)
		Scale(1/sum, x)
	}
	g.mul(s, precFP32, triNone, false, false, T, hs, NP, 1, P, W, pv, a.ldp, 0, o, C)
	g.mul(s, precFP32, triKPrefix, false, false, T, hs, T, 1, P[NP:], W, v, C3, 1, o, C)
}

func (a *attnTask) backwardPrefix(s *scratch, b, h int) {
	T, C, hs, NP := a.T, a.C, a.C/a.NH, a.np
	C3, W := 3*C, a.np+a.T
	scale := float32(1 / math.Sqrt(float64(hs)))
	q := a.qkv[b*T*C3+h*hs:]
	k, v := q[C:], q[2*C:]
	pk, pv := a.pk[h*hs:], a.pv[h*hs:]
	dq := a.dqkv[b*T*C3+h*hs:]
	dk, dv := dq[C:], dq[2*C:]
	dpk, dpv := a.dpk[b*NP*C+h*hs:], a.dpv[b*NP*C+h*hs:]
	P := a.att[(b*a.NH+h)*T*W : (b*a.NH+h+1)*T*W]
	do := a.dout[b*T*C+h*hs:]
	s.dp = grow(s.dp, T*W)
	dP := s.dp
	g := &s.g
	// dP = dO·[Kp; V]ᵀ, token part lower triangle.
	g.mul(s, precFP32, triNone, false, true, T, NP, hs, 1, do, C, pv, a.ldp, 0, dP, W)
	g.mul(s, precFP32, triSkipUpper, false, true, T, T, hs, 1, do, C, v, C3, 0, dP[NP:], W)
	g.mul(s, precFP32, triNone, true, false, NP, hs, T, 1, P, W, do, C, 0, dpv, C)
	g.mul(s, precFP32, triKSuffix, true, false, T, hs, T, 1, P[NP:], W, do, C, 1, dv, C3)
	// Softmax backward over the prefix and token parts together.
	for t := range T {
		st := a.start(b, t)
		pr, dr := P[t*W:(t+1)*W], dP[t*W:(t+1)*W]
		clear(dr[NP : NP+st])
		clear(dr[NP+t+1:])
		dd := Dot(pr[:NP], dr[:NP]) + Dot(pr[NP+st:NP+t+1], dr[NP+st:NP+t+1])
		softmaxBack(dr[:NP], pr[:NP], dd)
		softmaxBack(dr[NP+st:NP+t+1], pr[NP+st:NP+t+1], dd)
	}
	g.mul(s, precFP32, triNone, false, false, T, hs, NP, scale, dP, W, pk, a.ldp, 1, dq, C3)
	g.mul(s, precFP32, triKPrefix, false, false, T, hs, T, scale, dP[NP:], W, k, C3, 1, dq, C3)
	g.mul(s, precFP32, triNone, true, false, NP, hs, T, scale, dP, W, q, C3, 0, dpk, C)
	g.mul(s, precFP32, triKSuffix, true, false, T, hs, T, scale, dP[NP:], W, q, C3, 1, dk, C3)
}
