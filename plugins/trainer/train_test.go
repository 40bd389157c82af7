package trainer

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/model/kernel"
)

type nopEvents struct{}

func (nopEvents) Progress(int64, int64, string) {}
func (nopEvents) Metric(int64, string, float64) {}
func (nopEvents) Log(string)                    {}

const testVocab, testBlock = 23, 16

func synthData(rows, n int, seed uint64) *Data {
	r := model.NewRNG(seed)
	d := &Data{MaxID: testVocab - 1}
	for i := 0; i < rows; i++ {
		toks := make([]int32, n)
		for j := range toks {
			// A learnable pattern: mostly the previous token plus one.
			if j > 0 && r.Intn(4) != 0 {
				toks[j] = (toks[j-1] + 1) % testVocab
			} else {
				toks[j] = int32(r.Intn(testVocab))
			}
		}
		d.Add(toks, []int32{0, int32(n / 2)}, nil, testBlock)
	}
	return d
}

// testSettings stands for a stage's config: its own attributes and the
// shared Config embedded.
type testSettings struct {
	NLayer int
	Config
}

func testConfig() Config {
	c := DefaultConfig()
	c.BatchSize, c.GradAccum = 3, 2
	c.MaxSteps, c.Warmup, c.EvalEvery, c.EvalBatches, c.LogEvery = 6, 2, 3, 2, 1
	c.LR, c.MinLR = 1e-2, 1e-3
	return c
}

// testSpec is a 2-layer model from scratch over the shuffled train data.
func testSpec(t *testing.T, c Config, train, val *Data) Spec {
	t.Helper()
	m, err := model.New(model.Config{VocabSize: testVocab, NPositions: testBlock, NLayer: 2, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(uint64(c.Seed))
	src, err := NewShuffled(train, c.Seed)
	if err != nil {
		t.Fatal(err)
	}
	return Spec{Name: "test", Config: c, Settings: testSettings{2, c}, Model: m, BlockSize: testBlock, Train: src, Val: val}
}

func run(t *testing.T, c Config, train, val *Data, dir string) (*Result, error) {
	t.Helper()
	return Run(context.Background(), testSpec(t, c, train, val), dir, nopEvents{})
}

func weights(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ModelDirName, model.WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTrainLearns(t *testing.T) {
	c := testConfig()
	c.MaxSteps = 40
	res, err := run(t, c, synthData(20, 33, 1), synthData(4, 33, 2), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Uniform guessing over 23 ids costs ln 23 = 3.14 nats.
	if res.ValLoss > 2.2 {
		t.Fatalf("val loss %.3f after %d steps; the model does not learn", res.ValLoss, res.Steps)
	}
}

// TestResumeBitIdentical stops a run halfway, resumes it, and requires the
// same weights as a run that never stopped, at 1 and 2 threads: in fp32,
// and in bf16 with bf16 checkpoints on each kernel path.
func TestResumeBitIdentical(t *testing.T) {
	t.Run("fp32", func(t *testing.T) { checkResumeBitIdentical(t, testConfig()) })
	for _, path := range []string{kernel.PathFP32, kernel.PathAVX512BF16} {
		t.Run("bf16/"+path, func(t *testing.T) {
			withKernelPath(t, path)
			c := testConfig()
			c.Precision, c.SaveDType = "bf16", "bf16"
			checkResumeBitIdentical(t, c)
		})
	}
}

// withKernelPath selects a bf16 kernel path for the rest of the test.
func withKernelPath(t *testing.T, path string) {
	t.Helper()
	old := kernel.Path()
	if err := kernel.SetPath(path); err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { kernel.SetPath(old) })
}

func checkResumeBitIdentical(t *testing.T, c Config) {
	train, val := synthData(7, 40, 3), synthData(2, 20, 4)
	straight := t.TempDir()
	if _, err := run(t, c, train, val, straight); err != nil {
		t.Fatal(err)
	}
	half := c
	half.MaxSteps = 3
	resumed := t.TempDir()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if _, err := run(t, half, train, val, resumed); err != nil {
		t.Fatal(err)
	}
	runtime.GOMAXPROCS(2)
	res, err := run(t, c, train, val, resumed)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != c.MaxSteps {
		t.Fatalf("resumed run ended at step %d, want %d", res.Steps, c.MaxSteps)
	}
	if !bytes.Equal(weights(t, straight), weights(t, resumed)) {
		t.Fatal("resumed weights differ from an uninterrupted run")
	}
	files := []string{model.StateFile, model.StateMetaFile, model.ConfigFile}
	if c.SaveDType == "bf16" {
		files = append(files, model.MasterFile)
	}
	for _, f := range files {
		a, _ := os.ReadFile(filepath.Join(straight, ModelDirName, f))
		b, _ := os.ReadFile(filepath.Join(resumed, ModelDirName, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the resumed and the uninterrupted run", f)
		}
	}
}

// TestResumeChecksSettings resumes a saved state under changed settings:
// limits may change, anything else that shapes training is refused.
func TestResumeChecksSettings(t *testing.T) {
	train := synthData(4, 20, 6)
	dir := t.TempDir()
	c := testConfig()
	if _, err := run(t, c, train, nil, dir); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*Spec)
		ok     bool
	}{
		{"more steps", func(s *Spec) { s.Config.MaxSteps, s.Config.EvalEvery = 8, 1 }, true},
		{"learning rate", func(s *Spec) { s.Config.LR = 5e-3 }, false},
		{"stage setting", func(s *Spec) { s.Settings = testSettings{3, s.Config} }, false},
		{"save dtype", func(s *Spec) { s.Config.SaveDType = "bf16" }, true},
		{"precision", func(s *Spec) { s.Config.Precision = "bf16" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testSpec(t, c, train, nil)
			tc.change(&s)
			s.Resume = filepath.Join(dir, ModelDirName)
			_, err := Run(context.Background(), s, t.TempDir(), nopEvents{})
			if tc.ok && err != nil {
				t.Fatalf("resume refused: %v", err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "different config")) {
				t.Fatalf("err = %v, want a refusal naming a different config", err)
			}
		})
	}
}

func TestStopSaves(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	_, err := Run(ctx, testSpec(t, testConfig(), synthData(4, 20, 5), nil), dir, nopEvents{})
	if err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := model.LoadCheckpoint(filepath.Join(dir, ModelDirName)); err != nil {
		t.Fatal(err)
	}
}

// stepGrads runs one optimizer step with the given batch shape and returns
// the gradients it applied.
func stepGrads(t *testing.T, d *Data, batch, accum int) []float32 {
	t.Helper()
	c := testConfig()
	c.BatchSize, c.GradAccum = batch, accum
	return configStepGrads(t, d, c)
}

func configStepGrads(t *testing.T, d *Data, c Config) []float32 {
	t.Helper()
	c.MaxSteps, c.Warmup, c.EvalEvery, c.GradClip = 1, 0, 0, 0
	tr, err := newTrainer(testSpec(t, c, d, nil), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tr.step(1e-2); err != nil {
		t.Fatal(err)
	}
	return tr.m.Grads
}

// TestGradAccumEqualsBigBatch checks that the loss is normalised once per
// optimizer step: two micro-batches of 3 rows (of unequal token counts) give
// the update of one batch of 6.
func TestGradAccumEqualsBigBatch(t *testing.T) {
	d := synthData(6, 40, 9)
	// Unequal lengths so a per-micro-batch mean would weigh tokens differently.
	d.Examples[1], d.Examples[4] = d.Examples[1][:5], d.Examples[4][:9]
	// Adam's first step is nearly scale-free, so compare the gradients.
	a, b := stepGrads(t, d, 6, 1), stepGrads(t, d, 3, 2)
	for i := range a {
		if diff := a[i] - b[i]; diff > 1e-6 || diff < -1e-6 {
			t.Fatalf("gradient %d: %v with one batch, %v with accumulation", i, a[i], b[i])
		}
	}
}

// TestLossMask checks that masked targets contribute nothing and that the
// loss is normalised by the unmasked targets of the whole step: examples
// whose last tokens are masked (a different number per example, so the
// micro-batches hold unequal counts) give the gradient of the same examples
// cut before those tokens, in one batch and in two micro-batches.
func TestLossMask(t *testing.T) {
	full := synthData(6, 14, 12)
	masked, cut := &Data{MaxID: full.MaxID}, &Data{MaxID: full.MaxID}
	for i, e := range full.Examples {
		k := 2 + i%3
		mask := make([]uint8, len(e))
		for j := range len(e) - k {
			mask[j] = 1
		}
		masked.Add(e, full.DocStarts[i], mask, testBlock)
		cut.Add(e[:len(e)-k], full.DocStarts[i], nil, testBlock)
	}
	want := stepGrads(t, cut, 6, 1)
	for _, shape := range []struct{ batch, accum int }{{6, 1}, {3, 2}} {
		t.Run(fmt.Sprintf("batch=%d,accum=%d", shape.batch, shape.accum), func(t *testing.T) {
			got := stepGrads(t, masked, shape.batch, shape.accum)
			for i := range want {
				if diff := got[i] - want[i]; diff > 1e-6 || diff < -1e-6 {
					t.Fatalf("gradient %d: %v with masked targets, %v without those targets", i, got[i], want[i])
				}
			}
		})
	}
}

// TestResetPositionIDs trains on rows that pack two documents each and
// compares with the same documents one per row. With reset_position_ids the
// gradients agree (the target that crosses into the second document is
// masked, as it has no counterpart alone); with running positions they do
// not.
func TestResetPositionIDs(t *testing.T) {
	full := synthData(3, 17, 14) // documents at 0 and 8
	packed, alone := &Data{MaxID: full.MaxID}, &Data{MaxID: full.MaxID}
	for i, e := range full.Examples {
		mask := make([]uint8, len(e))
		for j := range mask {
			mask[j] = 1
		}
		mask[8] = 0
		packed.Add(e, full.DocStarts[i], mask, testBlock)
		alone.Add(e[:8], nil, nil, testBlock)
		alone.Add(e[8:], nil, nil, testBlock)
	}
	for _, tc := range []struct {
		reset bool
		equal bool
	}{{true, true}, {false, false}} {
		t.Run(fmt.Sprintf("reset_position_ids=%v", tc.reset), func(t *testing.T) {
			c := testConfig()
			c.ResetPositionIDs, c.GradAccum = tc.reset, 1
			c.BatchSize = len(alone.Examples)
			want := configStepGrads(t, alone, c)
			c.BatchSize = len(packed.Examples)
			got := configStepGrads(t, packed, c)
			worst := 0.0
			for i := range want {
				worst = max(worst, math.Abs(float64(got[i]-want[i])))
			}
			if tc.equal && worst > 1e-6 {
				t.Fatalf("packed documents train differently from documents alone: gradients differ by %.3g", worst)
			}
			if !tc.equal && worst < 1e-4 {
				t.Fatalf("running positions should change the gradients, yet they differ by only %.3g", worst)
			}
		})
	}
}

// recordingLoss is a stage's own Loss: token cross-entropy that records the
// micro-batches and scales it is handed.
type recordingLoss struct {
	rows   []int
	scales []float32
	reset  []bool
}

func (l *recordingLoss) Step(m *model.Model, b model.Batch, scale float32) (float64, error) {
	l.rows, l.scales, l.reset = append(l.rows, b.B), append(l.scales, scale), append(l.reset, b.ResetPositionIDs)
	return TokenLoss{}.Step(m, b, scale)
}

// TestSpecLoss checks that a Spec's Loss runs every micro-batch of a step,
// with the step's settings and one scale: 1 over the step's unmasked targets.
func TestSpecLoss(t *testing.T) {
	d := synthData(6, 12, 15)
	var unmasked float64
	for _, e := range d.Examples {
		mask := make([]uint8, len(e))
		for j := 2; j < len(e); j++ {
			mask[j] = 1
		}
		d.Masks = append(d.Masks, mask)
		unmasked += float64(len(e) - 2) // every token but the first two is a target
	}
	c := testConfig()
	c.BatchSize, c.GradAccum, c.MaxSteps, c.EvalEvery, c.ResetPositionIDs = 3, 2, 1, 0, true
	s := testSpec(t, c, d, nil)
	loss := &recordingLoss{}
	s.Loss = loss
	if _, err := Run(context.Background(), s, t.TempDir(), nopEvents{}); err != nil {
		t.Fatal(err)
	}
	want := 1 / float32(unmasked)
	if !slices.Equal(loss.rows, []int{3, 3}) || !slices.Equal(loss.scales, []float32{want, want}) || !slices.Equal(loss.reset, []bool{true, true}) {
		t.Fatalf("loss got rows %v, scales %v, reset %v; want rows [3 3], scales %v, reset true", loss.rows, loss.scales, loss.reset, want)
	}
}

// valEvents records metric values and log lines.
type valEvents struct {
	metrics map[string][]float64
	logs    []string
}

func (*valEvents) Progress(int64, int64, string) {}
func (e *valEvents) Metric(_ int64, name string, v float64) {
	e.metrics[name] = append(e.metrics[name], v)
}
func (e *valEvents) Log(line string) { e.logs = append(e.logs, line) }

// TestValidationMetricsNeverMadeUp trains with validation data that is
// absent, empty, fully masked or present (without a tokenizer, so bits per
// byte are unknown): a metric that was not measured is left out, never 0 or
// NaN.
func TestValidationMetricsNeverMadeUp(t *testing.T) {
	masked := synthData(2, 20, 4)
	for _, e := range masked.Examples {
		masked.Masks = append(masked.Masks, make([]uint8, len(e)))
	}
	for _, tc := range []struct {
		name    string
		val     *Data
		wantVal bool
	}{
		{"absent", nil, false},
		{"empty", &Data{}, false},
		{"masked", masked, false},
		{"present", synthData(2, 20, 4), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := &valEvents{metrics: map[string][]float64{}}
			if _, err := Run(context.Background(), testSpec(t, testConfig(), synthData(7, 40, 3), tc.val), t.TempDir(), ev); err != nil {
				t.Fatal(err)
			}
			if got := len(ev.metrics["val_loss"]) > 0; got != tc.wantVal {
				t.Errorf("val_loss reported: %v, want %v (%v)", got, tc.wantVal, ev.metrics["val_loss"])
			}
			if bpb := ev.metrics["val_bpb"]; len(bpb) > 0 {
				t.Errorf("val_bpb reported without a tokenizer: %v", bpb)
			}
			for name, vs := range ev.metrics {
				for _, v := range vs {
					if math.IsNaN(v) || strings.HasPrefix(name, "val_") && v == 0 {
						t.Errorf("metric %s = %v", name, v)
					}
				}
			}
			for _, l := range ev.logs {
				if strings.Contains(l, "NaN") || strings.Contains(l, "val loss 0.0000") {
					t.Errorf("log line %q", l)
				}
			}
		})
	}
}

// TestTrainBF16 trains the model of TestTrainLearns in bf16: it learns as
// well, differs from fp32 in its bits, and saves BF16 weights (half the
// bytes) with the fp32 master values beside them.
func TestTrainBF16(t *testing.T) {
	c := testConfig()
	c.MaxSteps = 40
	fp32Dir := t.TempDir()
	want, err := run(t, c, synthData(20, 33, 1), synthData(4, 33, 2), fp32Dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Precision, c.SaveDType = "bf16", "bf16"
	dir := t.TempDir()
	got, err := run(t, c, synthData(20, 33, 1), synthData(4, 33, 2), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("val loss: fp32 %.5f, bf16 %.5f", want.ValLoss, got.ValLoss)
	if got.ValLoss == want.ValLoss || math.Abs(got.ValLoss-want.ValLoss) > 0.01*want.ValLoss {
		t.Errorf("bf16 val loss %.5f, fp32 %.5f: want a different value within 1%%", got.ValLoss, want.ValLoss)
	}
	if n32, n16 := len(weights(t, fp32Dir)), len(weights(t, dir)); n16 > n32/2+4096 {
		t.Errorf("bf16 weights take %d bytes, fp32 %d", n16, n32)
	}
	if _, err := os.Stat(filepath.Join(dir, ModelDirName, model.MasterFile)); err != nil {
		t.Error(err)
	}
}

func TestPrecisionChecked(t *testing.T) {
	c := testConfig()
	c.Precision, c.SaveDType = "fp16", "f32"
	ds := c.Check()
	var attrs []string
	for _, d := range ds {
		attrs = append(attrs, d.Attribute)
	}
	if !slices.Contains(attrs, "precision") || !slices.Contains(attrs, "save_dtype") {
		t.Fatalf("diagnostics %v, want errors on precision and save_dtype", ds)
	}
}
