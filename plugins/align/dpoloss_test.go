package align

import (
	"math"
	"testing"

	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// TestPreferenceLossValues checks the losses against values computed by
// hand from TRL's definitions, and their derivatives against differences.
func TestPreferenceLossValues(t *testing.T) {
	for _, tc := range []struct {
		l    PreferenceLoss
		h    float64
		want float64
	}{
		{PreferenceLoss{Type: LossSigmoid, Beta: 0.1}, 2, math.Log(1 + math.Exp(-0.2))},     // 0.598139
		{PreferenceLoss{Type: LossSigmoid, Beta: 0.1}, 0, math.Ln2},                         // at the reference
		{PreferenceLoss{Type: LossSigmoid, Beta: 0.5}, -4, math.Log(1 + math.Exp(2))},       // 2.126928
		{PreferenceLoss{Type: LossSigmoid, Beta: 0.1, LabelSmoothing: 0.1}, 2, 0.618138869}, // 0.9·0.598139 + 0.1·0.798139
		{PreferenceLoss{Type: LossHinge, Beta: 0.1}, 2, 0.8},
		{PreferenceLoss{Type: LossHinge, Beta: 0.1}, 20, 0},
		{PreferenceLoss{Type: LossHinge, Beta: 0.5}, -1, 1.5},
		{PreferenceLoss{Type: LossIPO, Beta: 0.1}, 2, 9},         // (2 − 5)²
		{PreferenceLoss{Type: LossIPO, Beta: 0.5}, 0.25, 0.5625}, // (0.25 − 1)²
	} {
		if err := tc.l.Check(); err != nil {
			t.Fatal(err)
		}
		got, d := tc.l.Eval(tc.h)
		if math.Abs(got-tc.want) > 1e-8 {
			t.Errorf("%+v at h=%g: loss %.9f, want %.9f", tc.l, tc.h, got, tc.want)
		}
		const eps = 1e-6
		hi, _ := tc.l.Eval(tc.h + eps)
		lo, _ := tc.l.Eval(tc.h - eps)
		if num := (hi - lo) / (2 * eps); math.Abs(num-d) > 1e-6 {
			t.Errorf("%+v at h=%g: derivative %g, differences give %g", tc.l, tc.h, d, num)
		}
	}
	for _, bad := range []PreferenceLoss{{Type: "kto", Beta: 0.1}, {Type: LossSigmoid}, {Type: LossIPO, Beta: 0.1, LabelSmoothing: 0.1}, {Type: LossSigmoid, Beta: 0.1, LabelSmoothing: 0.5}} {
		if bad.Check() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// dpoBatch fills one micro-batch with pairs through the trainer's Source.
func dpoBatch(t testing.TB, pairs []EncodedPair) (*pairRows, model.Batch) {
	t.Helper()
	rows, err := newPairRows(pairs, 1)
	if err != nil {
		t.Fatal(err)
	}
	T := maxLen(pairs)
	B := 2 * len(pairs)
	b := model.Batch{B: B, T: T, Inputs: make([]int32, B*T), Targets: make([]int32, B*T), Seg: make([]int32, B*T), Weights: make([]float32, B*T)}
	for i := range B {
		lo, hi := i*T, (i+1)*T
		rows.Next(trainer.Row{Inputs: b.Inputs[lo:hi], Targets: b.Targets[lo:hi], Seg: b.Seg[lo:hi], Weights: b.Weights[lo:hi]})
	}
	return rows, b
}

// TestGradDPO checks the gradient one DPO step puts into the model (via
// per-token weights) against central differences of the DPO loss computed
// from sequence log-probs, for each loss type.
func TestGradDPO(t *testing.T) {
	p := testPolicy(t)
	m := p.Model
	r := model.NewRNG(4)
	for i := range m.Params {
		m.Params[i] += float32(r.Normal() * 0.05)
	}
	enc, _, err := EncodePairs(p.Encoder, testPairs(2), Truncation{MaxLength: 128, MaxPromptLength: 64})
	if err != nil {
		t.Fatal(err)
	}
	// Reference margins far above the policy's keep every hinge active.
	ref := [][2]float64{{-20, -40}, {-10, -45}}
	for _, l := range []PreferenceLoss{{Type: LossSigmoid, Beta: 1, LabelSmoothing: 0.2}, {Type: LossIPO, Beta: 0.5}, {Type: LossHinge, Beta: 0.5}} {
		t.Run(l.Type, func(t *testing.T) {
			rows, b := dpoBatch(t, enc)
			order := append([]int(nil), rows.queue...)
			refRows := make([][2]float64, len(enc))
			copy(refRows, ref)
			step := &dpoStep{loss: l, rows: rows, ref: refRows}
			m.ZeroGrad()
			if _, err := step.Step(m, b, 1); err != nil {
				t.Fatal(err)
			}
			grads := append([]float32(nil), m.Grads...)
			loss := func() float64 {
				var seqs []Sequence
				for _, i := range order {
					seqs = append(seqs, enc[i].Chosen, enc[i].Rejected)
				}
				lp, err := SequenceLogProbs(m, seqs, 4)
				if err != nil {
					t.Fatal(err)
				}
				var sum float64
				for k, i := range order {
					pc, pr := l.sequenceLogp(lp.Sum[2*k], lp.Tokens[2*k]), l.sequenceLogp(lp.Sum[2*k+1], lp.Tokens[2*k+1])
					rc, rr := l.sequenceLogp(refRows[i][0], lp.Tokens[2*k]), l.sequenceLogp(refRows[i][1], lp.Tokens[2*k+1])
					v, _ := l.Eval((pc - pr) - (rc - rr))
					sum += v
				}
				return sum
			}
			checked, biggest := 0, 0.0
			for _, name := range []string{"wte.weight", "h.1.mlp.c_fc.weight", "h.0.attn.c_attn.weight", "ln_f.weight"} {
				ts, vals, _ := m.Tensor(name)
				for j := 0; j < 12; j++ {
					i := r.Intn(ts.Size)
					g := float64(grads[ts.Off+i])
					orig := vals[i]
					const eps = 1e-2
					vals[i] = orig + eps
					up := loss()
					vals[i] = orig - eps
					down := loss()
					vals[i] = orig
					num := (up - down) / (2 * eps)
					if math.Abs(num-g) > 2e-2*math.Max(math.Abs(num), math.Abs(g))+2e-3 {
						t.Errorf("%s[%d]: gradient %g, differences give %g", name, i, g, num)
					}
					checked++
					biggest = math.Max(biggest, math.Abs(g))
				}
			}
			t.Logf("%d gradient entries checked, largest |gradient| %.3g", checked, biggest)
			if biggest < 0.05 {
				t.Fatalf("gradients too small (%.3g) for the check to mean anything", biggest)
			}
		})
	}
}

// TestCompactSameStep: a micro-batch padded far past its longest sequence
// gives the loss and gradients of the same pairs without the padding, bit
// for bit, once cut.
func TestCompactSameStep(t *testing.T) {
	p := testPolicy(t)
	m := p.Model
	enc, _, err := EncodePairs(p.Encoder, testPairs(3), Truncation{MaxLength: 128, MaxPromptLength: 64})
	if err != nil {
		t.Fatal(err)
	}
	step := func(pad int) (float64, []float32) {
		rows, err := newPairRows(enc, 1)
		if err != nil {
			t.Fatal(err)
		}
		T, B := maxLen(enc)+pad, 2*len(enc)
		b := model.Batch{B: B, T: T, Inputs: make([]int32, B*T), Targets: make([]int32, B*T), Seg: make([]int32, B*T), Weights: make([]float32, B*T)}
		for i := range B {
			lo, hi := i*T, (i+1)*T
			rows.Next(trainer.Row{Inputs: b.Inputs[lo:hi], Targets: b.Targets[lo:hi], Seg: b.Seg[lo:hi], Weights: b.Weights[lo:hi]})
		}
		d := &dpoStep{loss: PreferenceLoss{Type: LossSigmoid, Beta: 0.5}, rows: rows, ref: make([][2]float64, len(enc))}
		m.ZeroGrad()
		l, err := d.Step(m, b, 0.25)
		if err != nil {
			t.Fatal(err)
		}
		return l, append([]float32(nil), m.Grads...)
	}
	l0, g0 := step(0)
	l1, g1 := step(40)
	if l0 != l1 || !equalFloats(g0, g1) {
		t.Fatalf("padding changed the step: loss %v vs %v", l0, l1)
	}
}
