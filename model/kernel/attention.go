package kernel

import (
	"fmt"
	"math"
)

// AttentionForward computes causal multi-head self-attention for B
// sequences of T tokens. qkv[B,T,3C] holds each token's query, key and value
// (C each, split into NH heads of C/NH); out[B,T,C] receives the per-head
// outputs side by side; att[B,NH,T,T] receives the attention probabilities
// for the backward pass (masked entries within a token's document are 0;
// with docStart, entries outside the documents' diagonal blocks are left as
// they were, since no product reads them). out and att must not overlap
// qkv.
//
// docStart is nil for plain causal attention, or has B·T entries where
// docStart[b·T+t] ≤ t is the position within sequence b at which token t's
// document begins: token t then attends only to positions [docStart, t].
func AttentionForward(out, att, qkv []float32, docStart []int32, B, T, C, NH int) {
	attention(attnArgs{out: out, att: att, qkv: qkv, docStart: docStart, B: B, T: T, C: C, NH: NH})
}

// AttentionBackward sets dqkv[B,T,3C] to the gradients of
// AttentionForward, given dout[B,T,C] and the forward's qkv and att.
func AttentionBackward(dqkv, dout, qkv, att []float32, docStart []int32, B, T, C, NH int) {
	attention(attnArgs{back: true, dqkv: dqkv, dout: dout, att: att, qkv: qkv, docStart: docStart, B: B, T: T, C: C, NH: NH})
}

// AttentionForwardBF16 is AttentionForward with the operands of its two
// products (scores Q·Kᵀ, values P·V) rounded to bf16 and summed in fp32, as
// GemmBF16 does; the softmax stays fp32, and so does att.
func AttentionForwardBF16(out, att, qkv []float32, docStart []int32, B, T, C, NH int) {
	attention(attnArgs{prec: bf16Prec(), out: out, att: att, qkv: qkv, docStart: docStart, B: B, T: T, C: C, NH: NH})
}

// AttentionBackwardBF16 is AttentionBackward with the operands of its four
// products rounded to bf16, the gradients of AttentionForwardBF16's.
func AttentionBackwardBF16(dqkv, dout, qkv, att []float32, docStart []int32, B, T, C, NH int) {
	attention(attnArgs{prec: bf16Prec(), back: true, dqkv: dqkv, dout: dout, att: att, qkv: qkv, docStart: docStart, B: B, T: T, C: C, NH: NH})
}

// attention runs t's heads on the pool, one head per work item.
func attention(t attnArgs) {
	checkAttention(t.qkv, t.att, t.docStart, t.B, t.T, t.C, t.NH)
	p := acquire()
	defer p.release()
	a := &p.attn
	*a = attnTask{attnArgs: t}
	a.next.Store(0)
	p.do(a, t.B*t.NH)
	*a = attnTask{}
}

func checkAttention(qkv, att []float32, docStart []int32, B, T, C, NH int) {
	if NH <= 0 || C%NH != 0 {
		panic(fmt.Sprintf("kernel: attention width %d is not a multiple of %d heads", C, NH))
	}
	if len(qkv) < B*T*3*C || len(att) < B*NH*T*T {
		panic("kernel: attention buffers are shorter than B·T·3C and B·NH·T·T")
	}
	if docStart != nil {
		if len(docStart) < B*T {
			panic("kernel: attention docStart is shorter than B·T")
		}
		for i, s := range docStart[:B*T] {
			if s < 0 || int(s) > i%T {
				panic(fmt.Sprintf("kernel: attention docStart[%d] = %d is outside [0, %d]", i, s, i%T))
			}
		}
	}
}

// attnArgs are the operands of one attention call.
type attnArgs struct {
	back                      bool
	prec                      precision
	out, att, qkv, dqkv, dout []float32
	docStart                  []int32
	B, T, C, NH               int
	// Prefix keys and values (NP rows of stride ldp) and their gradients.
	pk, pv, dpk, dpv []float32
	np, ldp          int
}

type attnTask struct {
	attnArgs
	next atomicCounter
}

func (a *attnTask) run(w int, s *scratch) {
	for it := a.next.claim(); it < a.B*a.NH; it = a.next.claim() {
		switch {
		case a.np > 0 && a.back:
			a.clearGrad(it/a.NH, it%a.NH)
			a.backwardPrefix(s, it/a.NH, it%a.NH)
		case a.np > 0:
			a.forwardPrefix(s, it/a.NH, it%a.NH)
		case a.back:
			a.clearGrad(it/a.NH, it%a.NH)
			a.backward(s, it/a.NH, it%a.NH)
		default:
			a.forward(s, it/a.NH, it%a.NH)
		}
	}
}

// clearGrad zeroes the query, key and value gradient columns of head h in
// sequence b, which the backward products then add to: each head clears its
// own, in parallel and just before use, where a clear of all of dqkv
// beforehand was a serial pass over memory.
func (a *attnTask) clearGrad(b, h int) {
	T, C, hs := a.T, a.C, a.C/a.NH
	for t := range T {
		r := a.dqkv[(b*T+t)*3*C+h*hs:]
		clear(r[:hs])
		clear(r[C : C+hs])
		clear(r[2*C : 2*C+hs])
	}
}

// start returns the first position token t of sequence b may attend to.
func (a *attnTask) start(b, t int) int {
	if a.docStart == nil {
		return 0
	}
	return int(a.docStart[b*a.T+t])
}

// docBlocks returns the first positions of the documents of sequence b
// when every token attends to exactly the tokens of its document up to
// itself (packed rows), each document running to the next one's start; nil
// for plain causal attention or when the starts form no such blocks. The
// products then run on each document's diagonal block alone: the rest of
// the lower triangle is masked, and at instruction-tuning lengths most of
// it.
func (a *attnTask) docBlocks(s *scratch, b int) []int32 {
	if a.docStart == nil {
		return nil
	}
	starts, cur := s.docs[:0], int32(-1)
	for t, st := range a.docStart[b*a.T : (b+1)*a.T] {
		switch {
		case st == int32(t):
			starts, cur = append(starts, st), st
		case st != cur:
			return nil
		}
	}
	s.docs = starts
	return starts
}

// minSpan is the shortest run of rows spans hands out alone: short
// documents, and padding (each position its own document), are grouped
// with their neighbours, as a product of a few rows costs more in calls
// than its masked entries do.
const minSpan = 32

// spans calls f for consecutive blocks of rows [lo, hi) of sequence b whose
// tokens attend only to keys in [lo, hi): whole documents of docBlocks,
// grouped up to at least minSpan rows, or the whole sequence.
func (a *attnTask) spans(s *scratch, b int, f func(lo, hi int)) {
	docs := a.docBlocks(s, b)
	if len(docs) <= 1 {
		f(0, a.T)
		return
	}
	lo := 0
	for i := 1; i < len(docs); i++ {
		if int(docs[i])-lo >= minSpan && a.T-int(docs[i]) >= minSpan {
			f(lo, int(docs[i]))
			lo = int(docs[i])
		}
	}
	f(lo, a.T)
}

func (a *attnTask) forward(s *scratch, b, h int) {
	T, C, hs := a.T, a.C, a.C/a.NH
	C3 := 3 * C
	scale := float32(1 / math.Sqrt(float64(hs)))
	q := a.qkv[b*T*C3+h*hs:]
	k := q[C:]
	v := q[2*C:]
	P := a.att[(b*a.NH+h)*T*T : (b*a.NH+h+1)*T*T]
	o := a.out[b*T*C+h*hs:]
	g := &s.g
	a.spans(s, b, func(lo, hi int) {
		L := hi - lo
		// scores, lower triangle by whole micro-tiles
		g.mul(s, a.prec, triSkipUpper, false, true, L, L, hs, scale, q[lo*C3:], C3, k[lo*C3:], C3, 0, P[lo*T+lo:], T)
		for t := lo; t < hi; t++ {
			row := P[t*T : (t+1)*T]
			st := a.start(b, t)
			clear(row[lo:st])
			clear(row[t+1 : hi])
			x := row[st : t+1]
			sum := expShift(x, x, maxf(x))
			Scale(1/sum, x)
		}
		// P·V, row i summed over keys up to its strip's end (P is 0 beyond)
		g.mul(s, a.prec, triKPrefix, false, false, L, hs, L, 1, P[lo*T+lo:], T, v[lo*C3:], C3, 0, o[lo*C:], C)
	})
}

func (a *attnTask) backward(s *scratch, b, h int) {
	T, C, hs := a.T, a.C, a.C/a.NH
	C3 := 3 * C
	scale := float32(1 / math.Sqrt(float64(hs)))
	q := a.qkv[b*T*C3+h*hs:]
	k, v := q[C:], q[2*C:]
	dq := a.dqkv[b*T*C3+h*hs:]
	dk, dv := dq[C:], dq[2*C:]
	P := a.att[(b*a.NH+h)*T*T : (b*a.NH+h+1)*T*T]
	do := a.dout[b*T*C+h*hs:]
	s.dp = grow(s.dp, T*T)
	dP := s.dp
	g := &s.g
	a.spans(s, b, func(lo, hi int) {
		L := hi - lo
		Pb, dPb := P[lo*T+lo:], dP[lo*T+lo:]
		// dP = dO·Vᵀ, lower triangle
		g.mul(s, a.prec, triSkipUpper, false, true, L, L, hs, 1, do[lo*C:], C, v[lo*C3:], C3, 0, dPb, T)
		// dV[j] += Σ_{i≥j} P[i][j]·dO[i]
		g.mul(s, a.prec, triKSuffix, true, false, L, hs, L, 1, Pb, T, do[lo*C:], C, 1, dv[lo*C3:], C3)
		// softmax backward: dS = P ⊙ (dP - rowsum(P ⊙ dP)), stored over dP
		for t := lo; t < hi; t++ {
			st := a.start(b, t)
			pr := P[t*T+st : t*T+t+1]
			dr := dP[t*T : (t+1)*T]
			clear(dr[lo:st])
			clear(dr[t+1 : hi])
			d := dr[st : t+1]
			softmaxBack(d, pr, Dot(pr, d))
		}
		// dQ += scale·dS·K, keys up to the diagonal
		g.mul(s, a.prec, triKPrefix, false, false, L, hs, L, scale, dPb, T, k[lo*C3:], C3, 1, dq[lo*C3:], C3)
		// dK[j] += scale·Σ_{i≥j} dS[i][j]·Q[i]
		g.mul(s, a.prec, triKSuffix, true, false, L, hs, L, scale, dPb, T, q[lo*C3:], C3, 1, dk[lo*C3:], C3)
	})
}

// softmaxBackGo sets d[j] = p[j]·(d[j] - dd).
func softmaxBackGo(d, p []float32, dd float32) {
	p = p[:len(d)]
	for j, pv := range p {
		d[j] = pv * (d[j] - dd)
	}
}
