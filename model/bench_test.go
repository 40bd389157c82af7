package model

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/llmflow/llmflow/internal/testenv"
	"github.com/llmflow/llmflow/model/kernel"
)

// benchConfig is a model shape and batch of the benchmarks.
type benchConfig struct {
	name                 string
	L, H, C, T, V, Batch int
}

// benchConfigs mirror the peer benchmark (/shared/bench/torch_gpt_bench.py).
var benchConfigs = []benchConfig{
	{"S", 4, 4, 256, 128, 8192, 8},
	{"M", 6, 6, 384, 256, 8192, 8},
}

// BenchmarkTrainStep times a full optimizer step (forward, backward, clip,
// AdamW) on random tokens and reports tokens/s, at 1 and 2 threads, in fp32
// and in bf16 (named after the kernel path, kernel.Path).
func BenchmarkTrainStep(b *testing.B) {
	benchSteps(b, "", nil, randomBatch)
	benchSteps(b, "bf16="+kernel.Path()+"/", func(m *Model) error {
		m.SetPrecision(BF16)
		return nil
	}, randomBatch)
}

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
		}, randomBatch)
	}
}

// BenchmarkAdapterStep is BenchmarkTrainStep with the base frozen and
// bottleneck adapters of width 64.
func BenchmarkAdapterStep(b *testing.B) {
	benchSteps(b, "", func(m *Model) error {
		m.FreezeBase()
		return m.AttachAdapters(Adapters{Bottleneck: 64}, 3)
	}, randomBatch)
}

// BenchmarkPrefixStep is BenchmarkTrainStep with the base frozen and 20
// trainable prefix positions in every block, on rows 20 tokens shorter:
// the prefix takes the first positions.
func BenchmarkPrefixStep(b *testing.B) {
	const NP = 20
	benchSteps(b, "", func(m *Model) error {
		m.FreezeBase()
		return m.AttachPrefix(Prefix{NumVirtualTokens: NP}, 3)
	}, func(bc benchConfig) Batch {
		bc.T -= NP
		return randomBatch(bc)
	})
}

// BenchmarkSFTStep is BenchmarkTrainStep on rows as instruction tuning
// packs them: examples of 16..T/2 tokens, attention and positions restarted
// at each, the loss on their second half only, and the end of a row
// padding with no loss. tokens/s counts every position, as pretraining does.
// The peft methods run on the same rows beside full training (lora/: r 8 on
// attn.c_attn, lora=all/: on the four modules, adapter/: bottleneck 64,
// prefix/: 20 virtual tokens, rows 20 shorter), since that is the work they
// replace.
func BenchmarkSFTStep(b *testing.B) {
	benchSteps(b, "", nil, sftBatch)
	for _, mods := range []struct {
		name    string
		modules []string
	}{{"lora/", []string{"attn.c_attn"}}, {"lora=all/", LoRAModules[:]}} {
		benchSteps(b, mods.name, func(m *Model) error {
			m.FreezeBase()
			return m.AttachLoRA(LoRA{R: 8, Alpha: 16, TargetModules: mods.modules}, 3)
		}, sftBatch)
	}
	benchSteps(b, "adapter/", func(m *Model) error {
		m.FreezeBase()
		return m.AttachAdapters(Adapters{Bottleneck: 64}, 3)
	}, sftBatch)
	const NP = 20
	benchSteps(b, "prefix/", func(m *Model) error {
		m.FreezeBase()
		return m.AttachPrefix(Prefix{NumVirtualTokens: NP}, 3)
	}, func(bc benchConfig) Batch {
		bc.T -= NP
		return sftBatch(bc)
	})
}

// sftBatch is BenchmarkSFTStep's batch of packed instruction examples.
func sftBatch(bc benchConfig) Batch {
	N := bc.Batch * bc.T
	r := NewRNG(2)
	bt := Batch{B: bc.Batch, T: bc.T, Inputs: make([]int32, N), Targets: make([]int32, N), Seg: make([]int32, N),
		Weights: make([]float32, N), ResetPositionIDs: true}
	for row := range bc.Batch {
		for t := 0; t < bc.T; {
			n := 16 + r.Intn(bc.T/2-15)
			if t+n > bc.T {
				for ; t < bc.T; t++ { // padding attends to itself
					i := row*bc.T + t
					bt.Seg[i], bt.Targets[i] = int32(t), -1
				}
				break
			}
			for j := range n {
				i := row*bc.T + t + j
				bt.Inputs[i], bt.Targets[i], bt.Seg[i] = int32(r.Intn(bc.V)), int32(r.Intn(bc.V)), int32(t)
				if j >= n/2 {
					bt.Weights[i] = 1
				}
			}
			t += n
		}
	}
	return bt
}

// randomBatch is a batch of random tokens, every position a target.
func randomBatch(bc benchConfig) Batch {
	N := bc.Batch * bc.T
	r := NewRNG(2)
	in, tg := make([]int32, N), make([]int32, N)
	for i := range in {
		in[i], tg[i] = int32(r.Intn(bc.V)), int32(r.Intn(bc.V))
	}
	return Batch{B: bc.Batch, T: bc.T, Inputs: in, Targets: tg}
}

// benchSteps times optimizer steps on the batch each config's batch
// function builds, after setup (nil: full training) has frozen or attached
// parameters; sub-benchmark names end with suffix.
func benchSteps(b *testing.B, suffix string, setup func(*Model) error, batch func(benchConfig) Batch) {
	for _, bc := range benchConfigs {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/%sthreads=%d", bc.name, suffix, threads), func(b *testing.B) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
				kernel.SetThreads(threads)
				defer kernel.SetThreads(0)
				start := time.Now()
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
				bt := batch(bc)
				N := bt.B * bt.T
				m.Reserve(bt.B, bt.T)
				step := func() {
					m.ZeroGrad()
					scale := 1 / float32(N)
					if _, _, err := m.ForwardTrainBatch(bt, scale); err != nil {
						b.Fatal(err)
					}
					m.Backward(scale)
					opt.UpdateClipped(m, 3e-4, 1)
				}
				// Two steps warm up, as the peer script's --warmup 2 does, so
				// both sides time the same steps.
				step()
				// What a run waits for before its first step is done:
				// allocation, page faults and the first update.
				firstStep := time.Since(start)
				step()
				b.ResetTimer()
				cpu0 := testenv.CPUTime()
				for i := 0; i < b.N; i++ {
					step()
				}
				tps := float64(N) * float64(b.N) / b.Elapsed().Seconds()
				b.ReportMetric(tps, "tok/s")
				b.ReportMetric(float64(firstStep.Milliseconds()), "ms-to-first-step")
				// On a shared machine wall time counts other work too; at
				// one thread, tokens per CPU-second are what an idle core gives.
				if cpu := testenv.CPUTime() - cpu0; cpu > 0 {
					b.ReportMetric(float64(N)*float64(b.N)/cpu.Seconds(), "tok/cpu-s")
				}
				if m.NumTrainable() != m.Config.NumParams() {
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
// step, and reports generated tokens/s: of the base model, and with
// bottleneck adapters (64) or a prefix (20 virtual tokens) attached.
func BenchmarkGenerateBatch(b *testing.B) {
	bc := benchConfigs[0]
	r := NewRNG(2)
	prompts := make([][]int32, 16)
	for i := range prompts {
		prompts[i] = make([]int32, 16)
		for j := range prompts[i] {
			prompts[i][j] = int32(r.Intn(bc.V))
		}
	}
	const maxNew = 48
	for _, a := range []struct {
		name   string
		attach func(*Model) error
	}{
		{"", func(*Model) error { return nil }},
		{"adapter/", func(m *Model) error { return m.AttachAdapters(Adapters{Bottleneck: 64}, 3) }},
		{"prefix/", func(m *Model) error { return m.AttachPrefix(Prefix{NumVirtualTokens: 20}, 3) }},
	} {
		m, err := New(Config{VocabSize: bc.V, NPositions: bc.T, NLayer: bc.L, NHead: bc.H, NEmbd: bc.C, LayerNormEps: 1e-5, EOSTokenID: -1})
		if err != nil {
			b.Fatal(err)
		}
		m.Init(1)
		if err := a.attach(m); err != nil {
			b.Fatal(err)
		}
		for _, rows := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/%srows=%d", bc.name, a.name, rows), func(b *testing.B) {
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
}
