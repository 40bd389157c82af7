package model

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/artifact/safetensors"
	"github.com/llmflow/llmflow/model/kernel"
)

// Three positions beyond the batch rows leave room for a prefix of three.
var peftTestConfig = Config{VocabSize: 11, NPositions: 9, NLayer: 2, NHead: 2, NEmbd: 8, LayerNormEps: 1e-5}

// peftTestBatch is two packed rows with ignored targets.
var peftTestBatch = Batch{B: 2, T: 6,
	Inputs:  []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1},
	Targets: []int32{2, 3, -1, 5, 6, 7, 8, 9, 10, 0, 1, 2},
	Seg:     []int32{0, 0, 0, 3, 3, 3, 0, 0, 2, 2, 2, 2}}

func noisyModel(t testing.TB, cfg Config, seed uint64) *Model {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRNG(seed)
	for i := range m.Params {
		m.Params[i] = float32(r.Normal() * 0.3)
	}
	return m
}

// randomizeExtra gives attached tensors random values, so that zero-started
// matrices (LoRA B, adapter up) do not hide gradients.
func randomizeExtra(m *Model, seed uint64) {
	r := NewRNG(seed)
	for _, t := range m.Tensors {
		if t.Extra {
			for i := range m.Params[t.Off : t.Off+t.Size] {
				m.Params[t.Off+i] = float32(r.Normal() * 0.3)
			}
		}
	}
}

// checkModelGrads compares the gradients of every trainable tensor with
// central differences and requires frozen tensors to have none.
func checkModelGrads(t *testing.T, m *Model, b Batch) {
	t.Helper()
	loss := func() float64 {
		s, w, err := m.ForwardBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		return s / w
	}
	_, w, _ := m.ForwardBatch(b)
	m.ZeroGrad()
	if err := m.Backward(1 / float32(w)); err != nil {
		t.Fatal(err)
	}
	grads := append([]float32(nil), m.Grads...)
	for _, ts := range m.Tensors {
		g := grads[ts.Off : ts.Off+ts.Size]
		if ts.Frozen {
			for i, v := range g {
				if v != 0 {
					t.Fatalf("frozen %s[%d] has gradient %g", ts.Name, i, v)
				}
			}
			continue
		}
		checkGrad(t, ts.Name, m.Params[ts.Off:ts.Off+ts.Size], g, loss)
	}
}

func TestGradLoRA(t *testing.T) {
	for _, tc := range []struct {
		name    string
		modules []string
		rs      bool
	}{
		{"all", LoRAModules[:], false},
		{"attn.c_attn+mlp.c_proj/rslora", []string{"attn.c_attn", "mlp.c_proj"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := noisyModel(t, peftTestConfig, 7)
			if err := m.AttachLoRA(LoRA{R: 3, Alpha: 6, TargetModules: tc.modules, UseRSLoRA: tc.rs}, 1); err != nil {
				t.Fatal(err)
			}
			m.FreezeBase()
			randomizeExtra(m, 2)
			checkModelGrads(t, m, peftTestBatch)
		})
	}
}

func TestGradAdapters(t *testing.T) {
	m := noisyModel(t, peftTestConfig, 7)
	if err := m.AttachAdapters(Adapters{Bottleneck: 3}, 1); err != nil {
		t.Fatal(err)
	}
	m.FreezeBase()
	randomizeExtra(m, 3)
	checkModelGrads(t, m, peftTestBatch)
}

func TestGradPartial(t *testing.T) {
	for _, emb := range []bool{false, true} {
		t.Run(fmt.Sprintf("embeddings=%v", emb), func(t *testing.T) {
			m := noisyModel(t, peftTestConfig, 7)
			if err := m.FreezePartial(1, emb); err != nil {
				t.Fatal(err)
			}
			checkModelGrads(t, m, peftTestBatch)
		})
	}
}

// TestPartialGradsMatchFull requires the trainable tensors of a partially
// frozen model to get bit-for-bit the gradients of the unfrozen model.
func TestPartialGradsMatchFull(t *testing.T) {
	cfg := Config{VocabSize: 11, NPositions: 6, NLayer: 3, NHead: 2, NEmbd: 8, LayerNormEps: 1e-5}
	grads := func(freeze bool) *Model {
		m := noisyModel(t, cfg, 7)
		if freeze {
			if err := m.FreezePartial(2, false); err != nil {
				t.Fatal(err)
			}
		}
		_, w, err := m.ForwardBatch(peftTestBatch)
		if err != nil {
			t.Fatal(err)
		}
		m.ZeroGrad()
		if err := m.Backward(1 / float32(w)); err != nil {
			t.Fatal(err)
		}
		return m
	}
	full, part := grads(false), grads(true)
	if part.ext.stop != 1 {
		t.Errorf("backward stops at block %d, want 1", part.ext.stop)
	}
	for _, ts := range part.Tensors {
		if ts.Frozen != (ts.Kind == "embedding" || isPrefix(ts.Name, "h.0.")) {
			t.Errorf("%s: frozen %v", ts.Name, ts.Frozen)
		}
		if ts.Frozen {
			continue
		}
		for i := ts.Off; i < ts.Off+ts.Size; i++ {
			if part.Grads[i] != full.Grads[i] {
				t.Fatalf("%s: gradient %g, unfrozen model's %g", ts.Name, part.Grads[i], full.Grads[i])
			}
		}
	}
}

// TestAttachedStepZeroIsBase requires logits bit-identical to the base
// model's right after attaching LoRA (B = 0) or adapters (up = 0).
func TestAttachedStepZeroIsBase(t *testing.T) {
	attach := map[string]func(*Model) error{
		"lora":     func(m *Model) error { return m.AttachLoRA(LoRA{R: 4, Alpha: 8, TargetModules: LoRAModules[:]}, 1) },
		"adapters": func(m *Model) error { return m.AttachAdapters(Adapters{Bottleneck: 4}, 1) },
	}
	for name, fn := range attach {
		t.Run(name, func(t *testing.T) {
			base := noisyModel(t, peftTestConfig, 7)
			m := noisyModel(t, peftTestConfig, 7)
			if err := fn(m); err != nil {
				t.Fatal(err)
			}
			b := peftTestBatch
			b.Targets = nil
			for _, mm := range []*Model{base, m} {
				if _, _, err := mm.ForwardBatch(b); err != nil {
					t.Fatal(err)
				}
			}
			for r := range b.B {
				for p := range b.T {
					want, got := base.Logits(r, p), m.Logits(r, p)
					for i := range want {
						if want[i] != got[i] {
							t.Fatalf("row %d position %d logit %d: %g, base %g", r, p, i, got[i], want[i])
						}
					}
				}
			}
		})
	}
}

// TestAdamWOnlyTrainable checks that the optimizer's moments cover exactly
// the trainable parameters and that steps leave frozen ones untouched.
func TestAdamWOnlyTrainable(t *testing.T) {
	C, L, V, P := peftTestConfig.NEmbd, peftTestConfig.NLayer, peftTestConfig.VocabSize, peftTestConfig.NPositions
	for _, tc := range []struct {
		name  string
		setup func(*Model) error
		want  int
	}{
		{"lora", func(m *Model) error {
			err := m.AttachLoRA(LoRA{R: 2, Alpha: 4, TargetModules: []string{"attn.c_attn", "mlp.c_fc"}}, 1)
			m.FreezeBase()
			return err
		}, L * 2 * ((C + 3*C) + (C + 4*C))},
		{"adapters", func(m *Model) error {
			err := m.AttachAdapters(Adapters{Bottleneck: 3}, 1)
			m.FreezeBase()
			return err
		}, L * 2 * (3*C + 3 + C*3 + C)},
		{"prefix", func(m *Model) error {
			err := m.AttachPrefix(Prefix{NumVirtualTokens: 3}, 1)
			m.FreezeBase()
			return err
		}, 3 * L * 2 * C},
		{"prefix+projection", func(m *Model) error {
			err := m.AttachPrefix(Prefix{NumVirtualTokens: 3, Projection: 5}, 1)
			m.FreezeBase()
			return err
		}, 3*C + 5*C + 5 + L*2*C*5 + L*2*C},
		{"partial", func(m *Model) error { return m.FreezePartial(1, false) }, 12*C*C + 13*C + 2*C},
		{"partial+embeddings", func(m *Model) error { return m.FreezePartial(1, true) }, 12*C*C + 13*C + 2*C + (V+P)*C},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := noisyModel(t, peftTestConfig, 7)
			if err := tc.setup(m); err != nil {
				t.Fatal(err)
			}
			if n := m.NumTrainable(); n != tc.want {
				t.Fatalf("NumTrainable = %d, want %d", n, tc.want)
			}
			opt := NewAdamW(m.NumTrainable(), 0.1)
			if len(opt.M) != tc.want || len(opt.V) != tc.want {
				t.Fatalf("moments of %d and %d values, want %d", len(opt.M), len(opt.V), tc.want)
			}
			before := append([]float32(nil), m.Params...)
			for range 2 {
				m.ZeroGrad()
				_, w, _ := m.ForwardBatch(peftTestBatch)
				if err := m.Backward(1 / float32(w)); err != nil {
					t.Fatal(err)
				}
				m.ClipGrads(1)
				opt.Update(m, 1e-2)
			}
			for _, ts := range m.Tensors {
				changed := false
				for i := ts.Off; i < ts.Off+ts.Size; i++ {
					changed = changed || m.Params[i] != before[i]
				}
				if ts.Frozen && changed {
					t.Errorf("frozen %s changed", ts.Name)
				}
				if !ts.Frozen && !changed && ts.Kind != "bias" {
					t.Errorf("trainable %s did not change", ts.Name)
				}
			}
		})
	}
}

// TestPEFTThreadsBitIdentical trains LoRA with dropout, adapters and a
// projected prefix together at one and two threads and requires
// bit-identical parameters.
func TestPEFTThreadsBitIdentical(t *testing.T) {
	run := func(threads int) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
		kernel.SetThreads(threads)
		defer kernel.SetThreads(0)
		m, err := New(Config{VocabSize: 67, NPositions: 32, NLayer: 2, NHead: 4, NEmbd: 32, LayerNormEps: 1e-5})
		if err != nil {
			t.Fatal(err)
		}
		m.Init(9)
		if err := m.AttachLoRA(LoRA{R: 4, Alpha: 8, Dropout: 0.1, TargetModules: LoRAModules[:]}, 2); err != nil {
			t.Fatal(err)
		}
		if err := m.AttachAdapters(Adapters{Bottleneck: 8}, 3); err != nil {
			t.Fatal(err)
		}
		if err := m.AttachPrefix(Prefix{NumVirtualTokens: 4, Projection: 16}, 4); err != nil {
			t.Fatal(err)
		}
		m.FreezeBase()
		m.DropoutRNG = RNG{State: 5}
		opt := NewAdamW(m.NumTrainable(), 0.1)
		r := NewRNG(1)
		B, T := 3, 28 // and the prefix's 4
		in, tg := make([]int32, B*T), make([]int32, B*T)
		for range 3 {
			for i := range in {
				in[i], tg[i] = int32(r.Intn(67)), int32(r.Intn(67))
			}
			m.ZeroGrad()
			scale := 1 / float32(B*T)
			if _, _, err := m.ForwardTrain(in, tg, nil, B, T, scale); err != nil {
				t.Fatal(err)
			}
			if err := m.Backward(scale); err != nil {
				t.Fatal(err)
			}
			m.ClipGrads(1)
			opt.Update(m, 1e-3)
		}
		return m.Params
	}
	a, b := run(1), run(2)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("parameter %d differs between 1 and 2 threads: %v vs %v", i, a[i], b[i])
		}
	}
}

// TestMergeLoRA requires the merged model's logits to match the LoRA
// model's to 1e-5.
func TestMergeLoRA(t *testing.T) {
	m := noisyModel(t, peftTestConfig, 7)
	if err := m.AttachLoRA(LoRA{R: 3, Alpha: 5, Dropout: 0.2, TargetModules: LoRAModules[:]}, 1); err != nil {
		t.Fatal(err)
	}
	randomizeExtra(m, 4)
	merged, err := m.MergeLoRA()
	if err != nil {
		t.Fatal(err)
	}
	if len(merged.Params) != m.Config.NumParams() || merged.NumTrainable() != len(merged.Params) {
		t.Fatalf("merged model has %d parameters, want the base's %d", len(merged.Params), m.Config.NumParams())
	}
	b := peftTestBatch
	b.Targets = nil
	for _, mm := range []*Model{m, merged} {
		if _, _, err := mm.ForwardBatch(b); err != nil {
			t.Fatal(err)
		}
	}
	worst := 0.0
	for r := range b.B {
		for p := range b.T {
			for i, v := range m.Logits(r, p) {
				worst = max(worst, math.Abs(float64(v-merged.Logits(r, p)[i])))
			}
		}
	}
	if worst > 1e-5 {
		t.Fatalf("merged logits differ by up to %g", worst)
	}
	t.Logf("largest logit difference %.2g", worst)
}

func TestGradPrefix(t *testing.T) {
	for _, proj := range []int{0, 5} {
		t.Run(fmt.Sprintf("projection=%d", proj), func(t *testing.T) {
			m := noisyModel(t, peftTestConfig, 7)
			if err := m.AttachPrefix(Prefix{NumVirtualTokens: 3, Projection: proj}, 1); err != nil {
				t.Fatal(err)
			}
			m.FreezeBase()
			randomizeExtra(m, 3)
			checkModelGrads(t, m, peftTestBatch)
		})
	}
	// With the base trainable the position embedding's gradient lands on
	// the rows after the virtual tokens.
	t.Run("unfrozen", func(t *testing.T) {
		m := noisyModel(t, peftTestConfig, 7)
		if err := m.AttachPrefix(Prefix{NumVirtualTokens: 3}, 1); err != nil {
			t.Fatal(err)
		}
		randomizeExtra(m, 3)
		checkModelGrads(t, m, peftTestBatch)
	})
}

// TestPrefixPositions requires tokens behind a prefix to be numbered from
// num_virtual_tokens, as transformers numbers them after PEFT's past
// key/values: only the position embedding's rows from there on get a
// gradient. (tools/torchref/peft_check.py checks the logits themselves.) It
// also requires rows that would run past n_positions to be refused, naming
// the limit.
func TestPrefixPositions(t *testing.T) {
	const NP = 3
	C, P := peftTestConfig.NEmbd, peftTestConfig.NPositions
	m := noisyModel(t, peftTestConfig, 7)
	if err := m.AttachPrefix(Prefix{NumVirtualTokens: NP}, 1); err != nil {
		t.Fatal(err)
	}
	T := m.MaxTokens()
	if T != P-NP {
		t.Fatalf("MaxTokens = %d, want %d", T, P-NP)
	}
	b := Batch{B: 1, T: T, Inputs: peftTestBatch.Inputs[:T], Targets: peftTestBatch.Targets[:T]}
	if _, _, err := m.ForwardBatch(b); err != nil {
		t.Fatal(err)
	}
	if err := m.Backward(1); err != nil {
		t.Fatal(err)
	}
	wpe, _, _ := m.Tensor("wpe.weight")
	for pos := range P {
		row := m.Grads[wpe.Off+pos*C:][:C]
		if used := slices.ContainsFunc(row, func(g float32) bool { return g != 0 }); used != (pos >= NP) {
			t.Errorf("position %d: gradient %v; tokens should take positions %d..%d", pos, row, NP, P-1)
		}
	}
	b = Batch{B: 1, T: T + 1, Inputs: peftTestBatch.Inputs[:T+1]}
	_, _, err := m.ForwardBatch(b)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("use rows of at most %d tokens", T)) {
		t.Fatalf("a row of %d tokens behind %d virtual ones in %d positions: err = %v", T+1, NP, P, err)
	}
}

// TestPrefixAttentionReference compares attention with prefixes against a
// direct computation: softmax over the prefix keys and the token's own
// document up to itself.
func TestPrefixAttentionReference(t *testing.T) {
	r := NewRNG(11)
	B, T, C, NH, NP, ld := 2, 5, 8, 2, 3, 20
	hs := C / NH
	qkv, pk, pv := randVec(r, B*T*3*C, 1), randVec(r, NP*ld, 1), randVec(r, NP*ld, 1)
	seg := []int32{0, 0, 2, 2, 2, 0, 1, 1, 1, 1}
	out, att := make([]float32, B*T*C), make([]float32, B*NH*T*(NP+T))
	kernel.AttentionPrefixForward(out, att, qkv, pk, pv, NP, ld, seg, B, T, C, NH)
	worst := 0.0
	for b := range B {
		for h := range NH {
			for t0 := range T {
				q := qkv[(b*T+t0)*3*C+h*hs:][:hs]
				var keys, vals [][]float32
				for p := range NP {
					keys, vals = append(keys, pk[p*ld+h*hs:][:hs]), append(vals, pv[p*ld+h*hs:][:hs])
				}
				for t2 := int(seg[b*T+t0]); t2 <= t0; t2++ {
					keys = append(keys, qkv[(b*T+t2)*3*C+C+h*hs:][:hs])
					vals = append(vals, qkv[(b*T+t2)*3*C+2*C+h*hs:][:hs])
				}
				s := make([]float64, len(keys))
				mx, sum := math.Inf(-1), 0.0
				for i, k := range keys {
					for j := range hs {
						s[i] += float64(q[j]) * float64(k[j])
					}
					s[i] /= math.Sqrt(float64(hs))
					mx = max(mx, s[i])
				}
				for i := range s {
					s[i] = math.Exp(s[i] - mx)
					sum += s[i]
				}
				for j := range hs {
					want := 0.0
					for i, v := range vals {
						want += s[i] / sum * float64(v[j])
					}
					worst = max(worst, math.Abs(want-float64(out[(b*T+t0)*C+h*hs+j])))
				}
			}
		}
	}
	if worst > 1e-5 {
		t.Fatalf("prefix attention differs from the reference by up to %g", worst)
	}
}

func TestGradPrefixAttention(t *testing.T) {
	r := NewRNG(12)
	B, T, C, NH, NP, ld := 2, 5, 8, 2, 3, 8
	qkv, pk, pv := randVec(r, B*T*3*C, 1), randVec(r, NP*ld, 1), randVec(r, NP*ld, 1)
	up := randVec(r, B*T*C, 1)
	seg := []int32{0, 0, 2, 2, 2, 0, 1, 1, 1, 1}
	out, att := make([]float32, B*T*C), make([]float32, B*NH*T*(NP+T))
	loss := func() float64 {
		kernel.AttentionPrefixForward(out, att, qkv, pk, pv, NP, ld, seg, B, T, C, NH)
		return weighted(out, up)
	}
	loss()
	dqkv, dpk, dpv := make([]float32, B*T*3*C), make([]float32, B*NP*C), make([]float32, B*NP*C)
	kernel.AttentionPrefixBackward(dqkv, dpk, dpv, up, qkv, att, pk, pv, NP, ld, seg, B, T, C, NH)
	sum := func(d []float32) []float32 {
		s := make([]float32, NP*C)
		for b := range B {
			for i := range s {
				s[i] += d[b*NP*C+i]
			}
		}
		return s
	}
	checkGrad(t, "dqkv", qkv, dqkv, loss)
	checkGrad(t, "dpk", pk, sum(dpk), loss)
	checkGrad(t, "dpv", pv, sum(dpv), loss)
}

// TestPEFTStepAllocs requires a step with every kind of attachment and a
// frozen base to allocate nothing once the buffers exist.
func TestPEFTStepAllocs(t *testing.T) {
	m := smallModel(t, 1)
	if err := m.AttachLoRA(LoRA{R: 4, Alpha: 8, Dropout: 0.1, TargetModules: LoRAModules[:]}, 2); err != nil {
		t.Fatal(err)
	}
	if err := m.AttachAdapters(Adapters{Bottleneck: 4}, 3); err != nil {
		t.Fatal(err)
	}
	if err := m.AttachPrefix(Prefix{NumVirtualTokens: 3, Projection: 8}, 4); err != nil {
		t.Fatal(err)
	}
	m.FreezeBase()
	opt := NewAdamW(m.NumTrainable(), 0.1)
	B, T := 2, 13 // and the prefix's 3
	in, tg, seg := make([]int32, B*T), make([]int32, B*T), make([]int32, B*T)
	for i := range in {
		in[i], tg[i] = int32(i%37), int32((i+1)%37)
		if i%T >= 5 {
			seg[i] = 5
		}
	}
	b := Batch{B: B, T: T, Inputs: in, Targets: tg, Seg: seg}
	step := func() {
		m.ZeroGrad()
		m.ForwardTrainBatch(b, 1/float32(B*T))
		m.Backward(1 / float32(B*T))
		m.ClipGrads(1)
		opt.Update(m, 1e-3)
	}
	step()
	if a := testing.AllocsPerRun(5, step); a > 0 {
		t.Fatalf("a training step allocates %v times", a)
	}
}

// TestGradLoRADropout checks the LoRA gradients through a dropout mask:
// the dropout stream restarts before every training forward pass, so each
// draws the same mask.
func TestGradLoRADropout(t *testing.T) {
	m := noisyModel(t, peftTestConfig, 7)
	if err := m.AttachLoRA(LoRA{R: 3, Alpha: 6, Dropout: 0.3, TargetModules: LoRAModules[:]}, 1); err != nil {
		t.Fatal(err)
	}
	m.FreezeBase()
	randomizeExtra(m, 2)
	const scale = 0.1
	loss := func() float64 {
		m.DropoutRNG = RNG{State: 42}
		s, _, err := m.ForwardTrainBatch(peftTestBatch, scale)
		if err != nil {
			t.Fatal(err)
		}
		return s * scale
	}
	loss()
	m.ZeroGrad()
	if err := m.Backward(scale); err != nil {
		t.Fatal(err)
	}
	grads := append([]float32(nil), m.Grads...)
	dropped := 0
	for _, v := range m.ext.lora[0][0].mask[:12*8] {
		if v == 0 {
			dropped++
		}
	}
	if dropped == 0 {
		t.Fatal("no LoRA input was dropped")
	}
	for _, ts := range m.Tensors {
		if ts.Extra {
			checkGrad(t, ts.Name, m.Params[ts.Off:ts.Off+ts.Size], grads[ts.Off:ts.Off+ts.Size], loss)
		}
	}
}

// TestPartialCheckpointKeepsFrozen trains a partially frozen model and
// requires its saved checkpoint's frozen tensors to be bit-identical to the
// base checkpoint's, and the trainable ones to differ.
func TestPartialCheckpointKeepsFrozen(t *testing.T) {
	m := noisyModel(t, peftTestConfig, 7)
	baseDir, tunedDir := t.TempDir(), t.TempDir()
	if err := SaveCheckpoint(baseDir, m, ""); err != nil {
		t.Fatal(err)
	}
	if err := m.FreezePartial(1, false); err != nil {
		t.Fatal(err)
	}
	opt := NewAdamW(m.NumTrainable(), 0.1)
	for range 2 {
		m.ZeroGrad()
		_, w, _ := m.ForwardBatch(peftTestBatch)
		if err := m.Backward(1 / float32(w)); err != nil {
			t.Fatal(err)
		}
		opt.Update(m, 1e-2)
	}
	if err := SaveCheckpoint(tunedDir, m, ""); err != nil {
		t.Fatal(err)
	}
	base, err := safetensors.ReadFile(filepath.Join(baseDir, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	tuned, err := safetensors.ReadFile(filepath.Join(tunedDir, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range m.Tensors {
		a, _, err := base.Raw(ts.Name)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := tuned.Raw(ts.Name)
		if err != nil {
			t.Fatal(err)
		}
		if same := bytes.Equal(a, b); (ts.Frozen && !same) || (!ts.Frozen && same && ts.Kind != "bias") {
			t.Errorf("%s: frozen %v but bytes identical %v", ts.Name, ts.Frozen, same)
		}
	}
}

// TestBypassLoRAIsBase: with trained (non-zero) LoRA switched off the model
// computes its base's logits bit for bit, and switched on again its own.
func TestBypassLoRAIsBase(t *testing.T) {
	base := noisyModel(t, peftTestConfig, 7)
	m := noisyModel(t, peftTestConfig, 7)
	if err := m.AttachLoRA(LoRA{R: 4, Alpha: 8, TargetModules: LoRAModules[:]}, 1); err != nil {
		t.Fatal(err)
	}
	r := NewRNG(3)
	for _, ts := range m.Tensors {
		if ts.Extra {
			for i := ts.Off; i < ts.Off+ts.Size; i++ {
				m.Params[i] = float32(r.Normal() * 0.3)
			}
		}
	}
	b := peftTestBatch
	b.Targets = nil
	logits := func(mm *Model) []float32 {
		if _, _, err := mm.ForwardBatch(b); err != nil {
			t.Fatal(err)
		}
		var out []float32
		for row := range b.B {
			for p := range b.T {
				out = append(out, mm.Logits(row, p)...)
			}
		}
		return out
	}
	want := logits(base)
	withLoRA := logits(m)
	m.BypassLoRA(true)
	off := logits(m)
	m.BypassLoRA(false)
	on := logits(m)
	same := func(a, b []float32) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	if !same(off, want) {
		t.Fatal("bypassed LoRA does not compute the base's logits")
	}
	if same(withLoRA, want) || !same(on, withLoRA) {
		t.Fatal("switching LoRA back on does not restore the adapted model")
	}
}

// TestParamsChangedRepacksFrozen checks that frozen weights, which the
// model keeps packed between steps, are read afresh after ParamsChanged: a
// frozen model whose weights were rewritten computes what a model loaded
// with those weights computes.
func TestParamsChangedRepacksFrozen(t *testing.T) {
	m := noisyModel(t, peftTestConfig, 7)
	if err := m.AttachLoRA(LoRA{R: 4, Alpha: 8, TargetModules: LoRAModules[:]}, 1); err != nil {
		t.Fatal(err)
	}
	randomizeExtra(m, 3)
	m.FreezeBase()
	loss := func(m *Model) float64 {
		m.ZeroGrad()
		s, _, err := m.ForwardTrainBatch(peftTestBatch, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Backward(1); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := loss(m) // packs the frozen weights
	for i := range m.Params[:m.Config.NumParams()] {
		m.Params[i] *= 1.5
	}
	m.ParamsChanged()
	got, gotGrads := loss(m), append([]float32(nil), m.Grads...)

	fresh := noisyModel(t, peftTestConfig, 7)
	if err := fresh.AttachLoRA(LoRA{R: 4, Alpha: 8, TargetModules: LoRAModules[:]}, 1); err != nil {
		t.Fatal(err)
	}
	copy(fresh.Params, m.Params)
	fresh.FreezeBase()
	want := loss(fresh)
	if got == before {
		t.Fatal("rewritten frozen weights did not change the loss")
	}
	if got != want || !slices.Equal(gotGrads, fresh.Grads) {
		t.Fatalf("after ParamsChanged: loss %v, a fresh model's %v (gradients equal: %v)", got, want, slices.Equal(gotGrads, fresh.Grads))
	}
}
