package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/llmflow/llmflow/internal/testenv"
)

// cpuTime is kept for the micro-benchmarks in micro_amd64_test.go.
var cpuTime = testenv.CPUTime

// reportFlops reports GFLOP/s per wall-second and per CPU-second.
func reportFlops(b *testing.B, flops float64, cpu0 time.Duration) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := testenv.CPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(flops*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// gpt2Shapes are the (m, n, k) products of GPT-2 S/M training steps, taken
// as forward (NT: inp·Wᵀ), backward-data (NN: dout·W) and backward-weight
// (TN: doutᵀ·inp) multiplies with M = B·T.
var gpt2Shapes = []struct {
	name    string
	ta, tb  bool
	m, n, k int
}{
	{"NT", false, true, 1024, 768, 256},   // S qkv forward
	{"NT", false, true, 1024, 1024, 256},  // S fc forward
	{"NT", false, true, 1024, 256, 1024},  // S fc proj forward
	{"NT", false, true, 1024, 8192, 256},  // S logits
	{"NT", false, true, 2048, 1152, 384},  // M qkv forward
	{"NT", false, true, 2048, 1536, 384},  // M fc forward
	{"NT", false, true, 2048, 384, 1536},  // M fc proj forward
	{"NT", false, true, 2048, 8192, 384},  // M logits
	{"NN", false, false, 1024, 256, 1024}, // S fc dinp
	{"NN", false, false, 1024, 256, 8192}, // S logits dinp
	{"NN", false, false, 2048, 384, 1536}, // M fc dinp
	{"NN", false, false, 2048, 1536, 384}, // M fc proj dinp
	{"TN", true, false, 1024, 256, 1024},  // S fc dweight
	{"TN", true, false, 8192, 256, 1024},  // S logits dweight
	{"TN", true, false, 1536, 384, 2048},  // M fc dweight
	{"TN", true, false, 8192, 384, 2048},  // M logits dweight
}

func BenchmarkSgemm(b *testing.B) { benchGemm(b, "", Sgemm) }

// BenchmarkGemmBF16 is BenchmarkSgemm for bf16 multiplies, on the path
// Path reports (LLMFLOW_KERNEL=fp32 measures the fallback).
func BenchmarkGemmBF16(b *testing.B) { benchGemm(b, Path()+"/", GemmBF16) }

// benchGemm times gemm on the GPT-2 shapes at 1 and 2 threads.
func benchGemm(b *testing.B, prefix string, gemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, th := range []int{1, 2} {
		for _, s := range gpt2Shapes {
			b.Run(fmt.Sprintf("%s%s/%dx%dx%d/t%d", prefix, s.name, s.m, s.n, s.k, th), func(b *testing.B) {
				a := randSlice(r, s.m*s.k)
				bb := randSlice(r, s.k*s.n)
				c := make([]float32, s.m*s.n)
				lda, ldb := s.k, s.n
				if s.ta {
					lda = s.m
				}
				if s.tb {
					ldb = s.k
				}
				SetThreads(th)
				defer SetThreads(0)
				gemm(s.ta, s.tb, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				b.ResetTimer()
				cpu0 := testenv.CPUTime()
				for range b.N {
					gemm(s.ta, s.tb, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				}
				reportFlops(b, 2*float64(s.m)*float64(s.n)*float64(s.k), cpu0)
			})
		}
	}
}

func BenchmarkAttention(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, cfg := range []struct {
		name        string
		B, T, C, NH int
	}{{"S", 8, 128, 256, 4}, {"M", 8, 256, 384, 6}} {
		B, T, C, NH := cfg.B, cfg.T, cfg.C, cfg.NH
		qkv, dout := randSlice(r, B*T*3*C), randSlice(r, B*T*C)
		out, att, dqkv := make([]float32, B*T*C), make([]float32, B*NH*T*T), make([]float32, B*T*3*C)
		// Rows packed with instruction examples of 16..T/2 tokens, as
		// BenchmarkSFTStep's.
		packed := make([]int32, B*T)
		for row := range B {
			for t := 0; t < T; {
				n := min(16+r.IntN(T/2-15), T-t)
				for j := range n {
					packed[row*T+t+j] = int32(t)
				}
				t += n
			}
		}
		// causal FLOPs: QKᵀ and PV forward, four products backward, each ~T²/2·hs per head
		fl := float64(B*NH) * float64(T*T/2) * float64(C/NH) * 2
		for _, prec := range []struct {
			name string
			fwd  func(out, att, qkv []float32, docStart []int32, B, T, C, NH int)
			bwd  func(dqkv, dout, qkv, att []float32, docStart []int32, B, T, C, NH int)
		}{{"", AttentionForward, AttentionBackward}, {"bf16=" + Path() + "/", AttentionForwardBF16, AttentionBackwardBF16}} {
			for _, docs := range []struct {
				name  string
				start []int32
			}{{"", nil}, {"packed/", packed}} {
				for _, th := range []int{1, 2} {
					// GFLOP/s count the causal products of whole rows either way.
					b.Run(fmt.Sprintf("%s/%s%sforward/t%d", cfg.name, prec.name, docs.name, th), func(b *testing.B) {
						SetThreads(th)
						defer SetThreads(0)
						cpu0 := testenv.CPUTime()
						for range b.N {
							prec.fwd(out, att, qkv, docs.start, B, T, C, NH)
						}
						reportFlops(b, 2*fl, cpu0)
					})
					b.Run(fmt.Sprintf("%s/%s%sbackward/t%d", cfg.name, prec.name, docs.name, th), func(b *testing.B) {
						SetThreads(th)
						defer SetThreads(0)
						cpu0 := testenv.CPUTime()
						for range b.N {
							prec.bwd(dqkv, dout, qkv, att, docs.start, B, T, C, NH)
						}
						reportFlops(b, 4*fl, cpu0)
					})
				}
			}
		}
	}
}

func BenchmarkElementwise(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	n := 1024 * 1024
	x, y, z := randSlice(r, n), randSlice(r, n), randSlice(r, n)
	m, v := make([]float32, n), make([]float32, n)
	var cpu0 time.Duration
	report := func(b *testing.B, elems int) {
		b.ReportMetric(float64(elems)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
		if cpu := testenv.CPUTime() - cpu0; cpu > 0 {
			b.ReportMetric(float64(elems)*float64(b.N)/cpu.Seconds()/1e6, "Melem/cpu-s")
		}
	}
	b.Run("GeluForward", func(b *testing.B) {
		cpu0 = testenv.CPUTime()
		for range b.N {
			GeluForward(y, x)
		}
		report(b, n)
	})
	b.Run("GeluBackward", func(b *testing.B) {
		cpu0 = testenv.CPUTime()
		for range b.N {
			GeluBackward(z, x, y)
		}
		report(b, n)
	})
	b.Run("SoftmaxCrossEntropy/V8192", func(b *testing.B) {
		N, V := 128, 8192
		targets := make([]int32, N)
		losses := make([]float32, N)
		cpu0 = testenv.CPUTime()
		for range b.N {
			SoftmaxCrossEntropy(losses, y[:N*V], x[:N*V], targets, nil, N, V, 1)
		}
		report(b, N*V)
	})
	// LayerNorm forward alone, after a residual add as two passes, and fused
	// with the add.
	for _, ln := range []struct {
		name string
		run  func(mean, rstd []float32, N, C int)
	}{
		{"LayerNormForward", func(mean, rstd []float32, N, C int) { LayerNormForward(y, mean, rstd, x, z[:C], z[C:2*C], N, C) }},
		{"AddLayerNormForward", func(mean, rstd []float32, N, C int) {
			Axpy(1, z, m)
			LayerNormForward(y, mean, rstd, m, x[:C], x[C:2*C], N, C)
		}},
		{"ResidualLayerNormForward", func(mean, rstd []float32, N, C int) {
			ResidualLayerNormForward(y, mean, rstd, m, z, x[:C], x[C:2*C], N, C)
		}},
	} {
		b.Run(ln.name+"/C256", func(b *testing.B) {
			N, C := n/256, 256
			mean, rstd := make([]float32, N), make([]float32, N)
			cpu0 = testenv.CPUTime()
			for range b.N {
				ln.run(mean, rstd, N, C)
			}
			report(b, n)
		})
	}
	b.Run("LayerNormBackward/C256", func(b *testing.B) {
		N, C := n/256, 256
		mean, rstd := make([]float32, N), make([]float32, N)
		LayerNormForward(y, mean, rstd, x, z[:C], z[C:2*C], N, C)
		dw, db := make([]float32, C), make([]float32, C)
		cpu0 = testenv.CPUTime()
		for range b.N {
			LayerNormBackward(m, dw, db, y, x, z[:C], mean, rstd, N, C)
		}
		report(b, n)
	})
	b.Run("AdamW", func(b *testing.B) {
		cfg := AdamWConfig{LR: 1e-3, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, Step: 1}
		cpu0 = testenv.CPUTime()
		for range b.N {
			AdamW(z, x, m, v, cfg)
		}
		report(b, n)
	})
}

// BenchmarkStepMatMuls runs the linear-layer products of one GPT-2 training
// step (forward, backward-data, backward-weight for qkv, attention
// projection, MLP in and out per layer, plus the tied logits) and reports
// their aggregate rate: the figure that bounds training throughput.
func BenchmarkStepMatMuls(b *testing.B) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, cfg := range []struct {
		name       string
		L, C, T, V int
	}{{"S", 4, 256, 128, 8192}, {"M", 6, 384, 256, 8192}} {
		BT := 8 * cfg.T
		C := cfg.C
		type lin struct{ in, out int }
		lins := []lin{{C, 3 * C}, {C, C}, {C, 4 * C}, {4 * C, C}}
		x := randSlice(r, BT*4*C)
		dy := randSlice(r, BT*cfg.V)
		y := make([]float32, BT*cfg.V)
		dx := make([]float32, BT*4*C)
		w := randSlice(r, cfg.V*C)
		dw := make([]float32, cfg.V*C)
		var flops float64
		step := func() {
			for range cfg.L {
				for _, l := range lins {
					MatMulForward(y, x, w, nil, BT, l.in, l.out)
					MatMulBackward(dx, dw, nil, dy, x, w, BT, l.in, l.out)
				}
			}
			MatMulForward(y, x, w, nil, BT, C, cfg.V)
			MatMulBackward(dx, dw, nil, dy, x, w, BT, C, cfg.V)
		}
		for _, l := range lins {
			flops += 6 * float64(BT) * float64(l.in) * float64(l.out) * float64(cfg.L)
		}
		flops += 6 * float64(BT) * float64(C) * float64(cfg.V)
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/t%d", cfg.name, th), func(b *testing.B) {
				SetThreads(th)
				defer SetThreads(0)
				step()
				b.ResetTimer()
				cpu0 := testenv.CPUTime()
				for range b.N {
					step()
				}
				reportFlops(b, flops, cpu0)
			})
		}
	}
}

// BenchmarkSgemmCold runs GPT-2 S shapes on one thread with the caches
// flushed before every call (not timed), as operands arrive inside a training
// step; compare with BenchmarkSgemm's warm figures.
func BenchmarkSgemmCold(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 5))
	flush := make([]float32, 32<<20) // 128 MiB, several times L2 and the VM's share of L3
	for _, s := range gpt2Shapes {
		if s.m != 1024 || s.n*s.k > 1<<18 {
			continue
		}
		b.Run(fmt.Sprintf("%s/%dx%dx%d", s.name, s.m, s.n, s.k), func(b *testing.B) {
			a, bb, c := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), make([]float32, s.m*s.n)
			lda, ldb := s.k, s.n
			if s.ta {
				lda = s.m
			}
			if s.tb {
				ldb = s.k
			}
			SetThreads(1)
			defer SetThreads(0)
			var cpu time.Duration
			for range b.N {
				b.StopTimer()
				for i := range flush {
					flush[i]++
				}
				b.StartTimer()
				c0 := testenv.CPUTime()
				Sgemm(s.ta, s.tb, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				cpu += testenv.CPUTime() - c0
			}
			b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/cpu-s")
		})
	}
}

// BenchmarkLinearBackward runs LinearBackward (data and weight gradients,
// bias sums) for the linear layers of GPT-2 M and its logits, fp32 and
// bf16, on 1 and 2 threads.
func BenchmarkLinearBackward(b *testing.B) {
	r := rand.New(rand.NewPCG(6, 6))
	const BT, C, V = 2048, 384, 8192
	x, dy := randSlice(r, BT*4*C), randSlice(r, BT*V)
	w, dw, db := randSlice(r, V*C), make([]float32, V*C), make([]float32, V)
	dx := make([]float32, BT*4*C)
	for _, prec := range []string{"fp32", Path()} {
		for _, l := range []struct {
			name    string
			in, out int
		}{{"qkv", C, 3 * C}, {"attproj", C, C}, {"fc", C, 4 * C}, {"fcproj", 4 * C, C}, {"logits", C, V}} {
			for _, th := range []int{1, 2} {
				b.Run(fmt.Sprintf("%s/%s/t%d", prec, l.name, th), func(b *testing.B) {
					SetThreads(th)
					defer SetThreads(0)
					bf16 := prec != "fp32"
					LinearBackward(dx, dw, db, dy, x, w, BT, l.in, l.out, bf16)
					b.ResetTimer()
					cpu0 := testenv.CPUTime()
					for range b.N {
						LinearBackward(dx, dw, db, dy, x, w, BT, l.in, l.out, bf16)
					}
					reportFlops(b, 4*float64(BT)*float64(l.in)*float64(l.out), cpu0)
				})
			}
		}
	}
}
