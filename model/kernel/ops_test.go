package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		g := float64(got[i])
		if math.Abs(g-want[i]) > tol*(1+math.Abs(want[i])) || math.IsNaN(g) {
			t.Fatalf("%s[%d] = %g, want %g", what, i, g, want[i])
		}
	}
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func TestMatMul(t *testing.T) { testMatMul(t, rand.New(rand.NewPCG(5, 6))) }

func testMatMul(t *testing.T, r *rand.Rand) {
	BT, C, OC := 37, 45, 70
	inp, w, bias := randSlice(r, BT*C), randSlice(r, OC*C), randSlice(r, OC)
	out := make([]float32, BT*OC)
	MatMulForward(out, inp, w, bias, BT, C, OC)
	want := make([]float64, BT*OC)
	for i := range BT {
		for o := range OC {
			s := float64(bias[o])
			for c := range C {
				s += float64(inp[i*C+c]) * float64(w[o*C+c])
			}
			want[i*OC+o] = s
		}
	}
	closeTo(t, "out", out, want, 1e-5)

	dout := randSlice(r, BT*OC)
	dinp, dw, db := randSlice(r, BT*C), randSlice(r, OC*C), randSlice(r, OC)
	wdi, wdw, wdb := to64(dinp), to64(dw), to64(db)
	for i := range BT {
		for o := range OC {
			d := float64(dout[i*OC+o])
			wdb[o] += d
			for c := range C {
				wdi[i*C+c] += d * float64(w[o*C+c])
				wdw[o*C+c] += d * float64(inp[i*C+c])
			}
		}
	}
	MatMulBackward(dinp, dw, db, dout, inp, w, BT, C, OC)
	closeTo(t, "dinp", dinp, wdi, 1e-5)
	closeTo(t, "dweight", dw, wdw, 1e-5)
	closeTo(t, "dbias", db, wdb, 1e-5)
}

// refAttention is a direct float64 implementation of AttentionForward and
// AttentionBackward.
func refAttention(qkv, dout []float32, doc []int32, B, T, C, NH int) (out, dqkv []float64) {
	hs := C / NH
	sc := 1 / math.Sqrt(float64(hs))
	out = make([]float64, B*T*C)
	dqkv = make([]float64, B*T*3*C)
	at := func(b, t, part, h, i int) int { return (b*T+t)*3*C + part*C + h*hs + i }
	for b := range B {
		for h := range NH {
			for t := range T {
				st := 0
				if doc != nil {
					st = int(doc[b*T+t])
				}
				P := make([]float64, T)
				mx := math.Inf(-1)
				for j := st; j <= t; j++ {
					var s float64
					for i := range hs {
						s += float64(qkv[at(b, t, 0, h, i)]) * float64(qkv[at(b, j, 1, h, i)])
					}
					P[j] = s * sc
					mx = math.Max(mx, P[j])
				}
				var sum float64
				for j := st; j <= t; j++ {
					P[j] = math.Exp(P[j] - mx)
					sum += P[j]
				}
				for j := st; j <= t; j++ {
					P[j] /= sum
					for i := range hs {
						out[(b*T+t)*C+h*hs+i] += P[j] * float64(qkv[at(b, j, 2, h, i)])
					}
				}
				// backward
				dP := make([]float64, T)
				var dd float64
				for j := st; j <= t; j++ {
					for i := range hs {
						dP[j] += float64(dout[(b*T+t)*C+h*hs+i]) * float64(qkv[at(b, j, 2, h, i)])
						dqkv[at(b, j, 2, h, i)] += P[j] * float64(dout[(b*T+t)*C+h*hs+i])
					}
					dd += P[j] * dP[j]
				}
				for j := st; j <= t; j++ {
					ds := P[j] * (dP[j] - dd) * sc
					for i := range hs {
						dqkv[at(b, t, 0, h, i)] += ds * float64(qkv[at(b, j, 1, h, i)])
						dqkv[at(b, j, 1, h, i)] += ds * float64(qkv[at(b, t, 0, h, i)])
					}
				}
			}
		}
	}
	return out, dqkv
}

// TestAttention checks attention against float64 on 1, 2 and 3 threads
// for identical bits: in fp32 (to 1e-4), and with bf16 products on each
// kernel path, where operands keep 8 bits (relative rounding 2^-9) and the
// softmax amplifies score errors of a few 2^-9 into the probabilities, so
// 3% bounds the outputs and the gradients. The bf16 operand buffers start
// as NaN, so a read of an element the causal conversion skipped fails.
func TestAttention(t *testing.T) {
	for _, p := range []string{"", PathAVX512BF16, PathFP32} {
		t.Run("bf16="+p, func(t *testing.T) {
			if p == "" {
				testAttention(t, AttentionForward, AttentionBackward, 1e-4)
				return
			}
			poisonBF16A = true
			defer func() { poisonBF16A = false }()
			withPath(t, p, func() { testAttention(t, AttentionForwardBF16, AttentionBackwardBF16, 3e-2) })
		})
	}
}

type attnFunc func(out, att, qkv []float32, docStart []int32, B, T, C, NH int)

func testAttention(t *testing.T, fwd attnFunc, bwd func(dqkv, dout, qkv, att []float32, docStart []int32, B, T, C, NH int), tol float64) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		name        string
		B, T, C, NH int
		docs        bool
		window      int // > 0: each token sees the window tokens before it, no document blocks
	}{{"small", 2, 5, 8, 2, false, 0}, {"tiles", 2, 100, 48, 3, false, 0}, {"docs", 2, 70, 32, 2, true, 0},
		{"deep", 1, 300, 24, 2, true, 0}, {"window", 2, 60, 16, 2, false, 7}} {
		t.Run(tc.name, func(t *testing.T) {
			B, T, C, NH := tc.B, tc.T, tc.C, tc.NH
			qkv := randSlice(r, B*T*3*C)
			dout := randSlice(r, B*T*C)
			var doc []int32
			if tc.docs {
				doc = make([]int32, B*T)
				for b := range B {
					st := 0
					for t := range T {
						if t > 0 && r.IntN(10) == 0 {
							st = t
						}
						doc[b*T+t] = int32(st)
					}
				}
			}
			if tc.window > 0 {
				doc = make([]int32, B*T)
				for i := range doc {
					doc[i] = int32(max(0, i%T-tc.window))
				}
			}
			wantOut, wantD := refAttention(qkv, dout, doc, B, T, C, NH)
			var ref []float32
			for _, th := range []int{1, 2, 3} {
				out := make([]float32, B*T*C)
				att := make([]float32, B*NH*T*T)
				for i := range att {
					att[i] = float32(math.NaN())
				}
				dqkv := make([]float32, B*T*3*C)
				for i := range dqkv {
					dqkv[i] = float32(math.NaN()) // the backward sets every gradient
				}
				withThreads(th, func() {
					fwd(out, att, qkv, doc, B, T, C, NH)
					bwd(dqkv, dout, qkv, att, doc, B, T, C, NH)
				})
				closeTo(t, "out", out, wantOut, tol)
				closeTo(t, "dqkv", dqkv, wantD, tol)
				all := append(append(out, att...), dqkv...)
				if ref == nil {
					ref = all
				} else {
					for i := range all {
						if math.Float32bits(all[i]) != math.Float32bits(ref[i]) {
							t.Fatalf("%d threads differ from 1 at %d", th, i)
						}
					}
				}
			}
		})
	}
}

func geluRef(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
}

func TestGelu(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	x := randSlice(r, 10007)
	for i := range 100 {
		x[i] = float32(i-50) * 0.5 // tails and saturation
	}
	out := make([]float32, len(x))
	GeluForward(out, x)
	want := make([]float64, len(x))
	for i, v := range x {
		want[i] = geluRef(float64(v))
	}
	closeTo(t, "gelu", out, want, 2e-6)
	dout := randSlice(r, len(x))
	din := randSlice(r, len(x))
	wd := make([]float64, len(x))
	for i, v := range x {
		h := 1e-4
		g := (geluRef(float64(v)+h) - geluRef(float64(v)-h)) / (2 * h)
		wd[i] = g * float64(dout[i])
	}
	GeluBackward(din, x, dout)
	closeTo(t, "dgelu", din, wd, 1e-4)
	// In place over dout: the same values.
	GeluBackward(dout, x, dout)
	for i := range dout {
		if math.Float32bits(dout[i]) != math.Float32bits(din[i]) {
			t.Fatalf("in place: dgelu[%d] = %g, want %g", i, dout[i], din[i])
		}
	}
}

func TestLayerNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	N, C := 33, 77
	x, w, b := randSlice(r, N*C), randSlice(r, C), randSlice(r, C)
	out, mean, rstd := make([]float32, N*C), make([]float32, N), make([]float32, N)
	LayerNormForward(out, mean, rstd, x, w, b, N, C)
	ln := func(x []float64, w, b []float32) []float64 {
		var m, v float64
		for _, xv := range x {
			m += xv
		}
		m /= float64(len(x))
		for _, xv := range x {
			v += (xv - m) * (xv - m)
		}
		s := 1 / math.Sqrt(v/float64(len(x))+LayerNormEps)
		y := make([]float64, len(x))
		for i, xv := range x {
			y[i] = (xv-m)*s*float64(w[i]) + float64(b[i])
		}
		return y
	}
	want := make([]float64, 0, N*C)
	for i := range N {
		want = append(want, ln(to64(x[i*C:(i+1)*C]), w, b)...)
	}
	closeTo(t, "ln", out, want, 1e-5)

	// Gradients by central differences of L = Σ out·dout.
	dout := randSlice(r, N*C)
	din, dw, db := make([]float32, N*C), make([]float32, C), make([]float32, C)
	LayerNormBackward(din, dw, db, dout, x, w, mean, rstd, N, C)
	loss := func(x []float64, w, b []float32, row int) float64 {
		y := ln(x, w, b)
		var s float64
		for i := range y {
			s += y[i] * float64(dout[row*C+i])
		}
		return s
	}
	const h = 1e-6
	for _, row := range []int{0, N - 1} {
		xr := to64(x[row*C : (row+1)*C])
		for i := range C {
			xp := append([]float64(nil), xr...)
			xp[i] += h
			xm := append([]float64(nil), xr...)
			xm[i] -= h
			g := (loss(xp, w, b, row) - loss(xm, w, b, row)) / (2 * h)
			if math.Abs(g-float64(din[row*C+i])) > 1e-3*(1+math.Abs(g)) {
				t.Fatalf("dinp[%d][%d] = %g, want %g", row, i, din[row*C+i], g)
			}
		}
	}
	wdw, wdb := make([]float64, C), make([]float64, C)
	for row := range N {
		var m, v float64
		for i := range C {
			m += float64(x[row*C+i])
		}
		m /= float64(C)
		for i := range C {
			d := float64(x[row*C+i]) - m
			v += d * d
		}
		s := 1 / math.Sqrt(v/float64(C)+LayerNormEps)
		for i := range C {
			wdb[i] += float64(dout[row*C+i])
			wdw[i] += (float64(x[row*C+i]) - m) * s * float64(dout[row*C+i])
		}
	}
	closeTo(t, "dweight", dw, wdw, 1e-4)
	closeTo(t, "dbias", db, wdb, 1e-4)
}

func TestSoftmaxCrossEntropy(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	N, V := 9, 1003
	logits := randSlice(r, N*V)
	for i := range logits {
		logits[i] *= 5
	}
	targets := make([]int32, N)
	for i := range targets {
		targets[i] = int32(r.IntN(V))
	}
	targets[3] = -1
	losses := make([]float32, N)
	dl := make([]float32, N*V)
	SoftmaxCrossEntropy(losses, dl, logits, targets, nil, N, V, 0.25)
	wl, wd := make([]float64, N), make([]float64, N*V)
	for i := range N {
		if targets[i] < 0 {
			continue
		}
		x := to64(logits[i*V : (i+1)*V])
		mx := math.Inf(-1)
		for _, v := range x {
			mx = math.Max(mx, v)
		}
		var s float64
		for _, v := range x {
			s += math.Exp(v - mx)
		}
		wl[i] = mx + math.Log(s) - x[targets[i]]
		for j, v := range x {
			wd[i*V+j] = math.Exp(v-mx) / s * 0.25
		}
		wd[i*V+int(targets[i])] -= 0.25
	}
	closeTo(t, "loss", losses, wl, 1e-5)
	for i := range wd {
		if math.Abs(float64(dl[i])-wd[i]) > 1e-7 {
			t.Fatalf("dlogits[%d] = %g, want %g", i, dl[i], wd[i])
		}
	}
	// in place, loss only
	l2 := make([]float32, N)
	SoftmaxCrossEntropy(l2, nil, logits, targets, nil, N, V, 1)
	closeTo(t, "loss2", l2, wl, 1e-5)
	SoftmaxCrossEntropy(l2, logits, logits, targets, nil, N, V, 0.25)
	closeTo(t, "inplace", logits, wd, 1e-6)

	probs := make([]float32, 2*V)
	lg := randSlice(r, 2*V)
	Softmax(probs, lg, 2, V)
	if s := Sum(probs[:V]); math.Abs(float64(s)-1) > 1e-5 {
		t.Fatalf("softmax row sums to %g", s)
	}
}

// TestSoftmaxCrossEntropyWeights checks that a row's weight scales its
// gradient and nothing else: weight 1 is bit-identical to no weights, weight
// 0 leaves a zero gradient, and any other weight equals the unweighted
// gradient at gradScale·weight.
func TestSoftmaxCrossEntropyWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	N, V := 5, 301
	logits := randSlice(r, N*V)
	targets := []int32{4, 0, -1, 300, 17}
	run := func(weights []float32, scale float32) (losses, dl []float32) {
		losses, dl = make([]float32, N), make([]float32, N*V)
		SoftmaxCrossEntropy(losses, dl, logits, targets, weights, N, V, scale)
		return losses, dl
	}
	plainLoss, _ := run(nil, 0.5)
	for _, tc := range []struct {
		name    string
		weights []float32
	}{
		{"ones", []float32{1, 1, 1, 1, 1}},
		{"mask", []float32{1, 0, 1, 0, 1}},
		{"weights", []float32{0.25, 2, 3, -1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			losses, dl := run(tc.weights, 0.5)
			for i := range N {
				if losses[i] != plainLoss[i] {
					t.Fatalf("row %d: loss %g with weights, %g without", i, losses[i], plainLoss[i])
				}
				_, want := run(nil, 0.5*tc.weights[i])
				for j := i * V; j < (i+1)*V; j++ {
					if dl[j] != want[j] {
						t.Fatalf("row %d: dlogits[%d] = %g, want %g", i, j-i*V, dl[j], want[j])
					}
				}
			}
		})
	}
}

func TestAdamW(t *testing.T) {
	for _, gs := range []float32{0, 0.37} { // 0: unscaled
		r := rand.New(rand.NewPCG(15, 16))
		n := 100003
		p, g, m, v := randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n)
		for i := range v {
			v[i] = v[i] * v[i]
		}
		cfg := AdamWConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, Step: 3, GradScale: gs}
		wp := make([]float64, n)
		for i := range n {
			gi := float64(g[i])
			if gs != 0 {
				gi *= float64(gs)
			}
			mi := 0.9*float64(m[i]) + 0.1*gi
			vi := 0.95*float64(v[i]) + 0.05*gi*gi
			mh := mi / (1 - math.Pow(0.9, 3))
			vh := vi / (1 - math.Pow(0.95, 3))
			wp[i] = float64(p[i]) - 1e-3*(mh/(math.Sqrt(vh)+1e-8)+0.1*float64(p[i]))
		}
		AdamW(p, g, m, v, cfg)
		closeTo(t, fmt.Sprintf("params (gradient scale %g)", gs), p, wp, 1e-5)
	}
}

func TestVector(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, n := range []int{0, 1, 7, 16, 33, 1000} {
		x, y := randSlice(r, n), randSlice(r, n)
		var want float64
		for i := range x {
			want += float64(x[i]) * float64(y[i])
		}
		if got := Dot(x, y); math.Abs(float64(got)-want) > 1e-5*(1+float64(n)) {
			t.Fatalf("Dot n=%d = %g, want %g", n, got, want)
		}
		wy := to64(y)
		for i := range x {
			wy[i] += 0.5 * float64(x[i])
		}
		Axpy(0.5, x, y)
		closeTo(t, "axpy", y, wy, 1e-6)
	}
}

func TestExpf(t *testing.T) {
	for x := float32(-90); x < 89; x += 0.013 {
		got, want := float64(expf(x)), math.Exp(float64(x))
		if want > math.MaxFloat32 {
			if !math.IsInf(got, 1) {
				t.Fatalf("expf(%g) = %g, want +Inf", x, got)
			}
			continue
		}
		if x < -86.5 {
			if got > 2.8e-38 {
				t.Fatalf("expf(%g) = %g", x, got)
			}
			continue
		}
		if math.Abs(got-want) > 3e-7*want {
			t.Fatalf("expf(%g) = %g, want %g", x, got, want)
		}
	}
}

// TestResidualLayerNorm checks the fused add and LayerNorm against the add
// followed by LayerNormForward, bit for bit, on every thread count.
func TestResidualLayerNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	N, C := 70, 77
	res, x, w, b := randSlice(r, N*C), randSlice(r, N*C), randSlice(r, C), randSlice(r, C)
	wantRes := append([]float32(nil), res...)
	Axpy(1, x, wantRes)
	want, wm, ws := make([]float32, N*C), make([]float32, N), make([]float32, N)
	LayerNormForward(want, wm, ws, wantRes, w, b, N, C)
	for _, th := range []int{1, 2, 3} {
		gotRes := append([]float32(nil), res...)
		got, gm, gs := make([]float32, N*C), make([]float32, N), make([]float32, N)
		withThreads(th, func() { ResidualLayerNormForward(got, gm, gs, gotRes, x, w, b, N, C) })
		for _, c := range []struct {
			name      string
			got, want []float32
		}{{"res", gotRes, wantRes}, {"out", got, want}, {"mean", gm, wm}, {"rstd", gs, ws}} {
			for i := range c.got {
				if math.Float32bits(c.got[i]) != math.Float32bits(c.want[i]) {
					t.Fatalf("%d threads: %s[%d] = %g, want %g", th, c.name, i, c.got[i], c.want[i])
				}
			}
		}
	}
}

// TestBulk checks Clear, ScaleAll and SumSquaresChunks against the serial
// loops, bit for bit, on every thread count.
func TestBulk(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	x := randSlice(r, 3*bulkGrain+77)
	const chunk = 1000
	n := (len(x) + chunk - 1) / chunk
	wantSq := make([]float32, n)
	for i := range wantSq {
		c := x[i*chunk : min((i+1)*chunk, len(x))]
		wantSq[i] = Dot(c, c)
	}
	wantScaled := append([]float32(nil), x...)
	Scale(0.3, wantScaled)
	for _, th := range []int{1, 2, 3} {
		withThreads(th, func() {
			sq := make([]float32, n)
			SumSquaresChunks(sq, x, chunk)
			y := append([]float32(nil), x...)
			ScaleAll(0.3, y)
			for i := range sq {
				if math.Float32bits(sq[i]) != math.Float32bits(wantSq[i]) {
					t.Fatalf("%d threads: chunk %d sums to %g, want %g", th, i, sq[i], wantSq[i])
				}
			}
			for i := range y {
				if math.Float32bits(y[i]) != math.Float32bits(wantScaled[i]) {
					t.Fatalf("%d threads: scaled[%d] = %g, want %g", th, i, y[i], wantScaled[i])
				}
			}
			Clear(y)
			for i, v := range y {
				if v != 0 {
					t.Fatalf("%d threads: cleared[%d] = %g", th, i, v)
				}
			}
		})
	}
}

func TestZeros(t *testing.T) {
	for _, n := range []int{0, 1, 1023, 1024, 1025, 5000} {
		b := Zeros(n)
		if len(b) != n {
			t.Fatalf("Zeros(%d) has length %d", n, len(b))
		}
		for i, v := range b {
			if v != 0 {
				t.Fatalf("Zeros(%d)[%d] = %v", n, i, v)
			}
		}
	}
}
