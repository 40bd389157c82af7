package model

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/llmflow/llmflow/model/kernel"
)

// benchConfigs mirror the peer benchmark (/shared/bench/torch_gpt_bench.py).
var benchConfigs = []struct {
	name                 string
	L, H, C, T, V, Batch int
}{
	{"S", 4, 4, 256, 128, 8192, 8},
	{"M", 6, 6, 384, 256, 8192, 8},
}

// BenchmarkTrainStep times a full optimizer step (forward, backward, clip,
// AdamW) on random tokens and reports tokens/s, at 1 and 2 threads.
func BenchmarkTrainStep(b *testing.B) { benchSteps(b, "", nil) }

// BenchmarkLoRAStep is BenchmarkTrainStep with the base frozen and LoRA
// (r 8) on attn.c_attn, the PEFT library's default target for GPT-2, or
// (modules=all) on all four linear layers of every block.
func BenchmarkLoRAStep(b *testing.B) {
	for _, mods := range []struct {
		name    string
		modules []string
	}{{"", []string{"attn.c_attn"}}, {"modules=all/", LoRAModules[:]}} {
		benchSteps(b, mods.name, func(m *Model) error {
			m.FreezeBase()
			return m.AttachLoRA(LoRA{R: 8, Alpha: 16, TargetModules: mods.modules}, 3)
		})
	}
}

// BenchmarkAdapterStep is BenchmarkTrainStep with the base frozen and
// bottleneck adapters of width 64.
func BenchmarkAdapterStep(b *testing.B) {
	benchSteps(b, "", func(m *Model) error {
		m.FreezeBase()
		return m.AttachAdapters(Adapters{Bottleneck: 64}, 3)
	})
}

// BenchmarkPrefixStep is BenchmarkTrainStep with the base frozen and 20
// trainable prefix positions in every block.
func BenchmarkPrefixStep(b *testing.B) {
	benchSteps(b, "", func(m *Model) error {
		m.FreezeBase()
		return m.AttachPrefix(Prefix{NumVirtualTokens: 20}, 3)
	})
}

// benchSteps times optimizer steps of the benchmark shapes after setup
// (nil: full training) has frozen or attached parameters; sub-benchmark
// names end with suffix.
func benchSteps(b *testing.B, suffix string, setup func(*Model) error) {
	for _, bc := range benchConfigs {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/%sthreads=%d", bc.name, suffix, threads), func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
				kernel.SetThreads(threads)
				defer kernel.SetThreads(0)
				m, err := New(Config{VocabSize: bc.V, NPositions: bc.T, NLayer: bc.L, NHead: bc.H, NEmbd: bc.C, LayerNormEps: 1e-5})
				if err != nil {
					b.Fatal(err)
				}
				m.Init(1)
				if setup != nil {
					if err := setup(m); err != nil {
						b.Fatal(err)
					}
				}
				opt := NewAdamW(m.NumTrainable(), 0.1)
				N := bc.Batch * bc.T
				r := NewRNG(2)
				in, tg := make([]int32, N), make([]int32, N)
				for i := range in {
					in[i], tg[i] = int32(r.Intn(bc.V)), int32(r.Intn(bc.V))
				}
				m.Reserve(bc.Batch, bc.T)
				step := func() {
					m.ZeroGrad()
					scale := 1 / float32(N)
					if _, _, err := m.ForwardTrain(in, tg, nil, bc.Batch, bc.T, scale); err != nil {
						b.Fatal(err)
					}
					m.Backward(scale)
					m.ClipGrads(1)
					opt.Update(m, 3e-4)
				}
				step() // warm up
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					step()
				}
				tps := float64(N) * float64(b.N) / b.Elapsed().Seconds()
				b.ReportMetric(tps, "tok/s")
				if setup != nil {
					return // the FLOP count below is full training's
				}
				// The peer script's count: 6N (N without position
				// embeddings) + 12·L·C·T.
				nonPos := m.Config.NumParams() - bc.T*bc.C
				flops := 6*float64(nonPos) + 12*float64(bc.L*bc.C*bc.T)
				b.ReportMetric(tps*flops/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkGenerateBatch times greedy KV-cache generation of 16 prompts of
// 16 tokens, 48 new tokens each, on the S shape, decoding 1 or 8 prompts per
// step, and reports generated tokens/s.
func BenchmarkGenerateBatch(b *testing.B) {
	bc := benchConfigs[0]
	m, err := New(Config{VocabSize: bc.V, NPositions: bc.T, NLayer: bc.L, NHead: bc.H, NEmbd: bc.C, LayerNormEps: 1e-5, EOSTokenID: -1})
	if err != nil {
		b.Fatal(err)
	}
	m.Init(1)
	r := NewRNG(2)
	prompts := make([][]int32, 16)
	for i := range prompts {
		prompts[i] = make([]int32, 16)
		for j := range prompts[i] {
			prompts[i][j] = int32(r.Intn(bc.V))
		}
	}
	const maxNew = 48
	for _, rows := range []int{1, 8} {
		b.Run(fmt.Sprintf("%s/rows=%d", bc.name, rows), func(b *testing.B) {
			s := make([]*Sampler, len(prompts))
			for i := range s {
				s[i] = &Sampler{}
			}
			var n int
			for b.Loop() {
				out, err := m.GenerateBatch(prompts, s, BatchOptions{MaxNew: maxNew, Rows: rows, Stop: -1})
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range out {
					n += len(o)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tok/s")
		})
	}
}
