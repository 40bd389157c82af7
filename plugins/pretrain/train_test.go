package pretrain

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/model"
)

type nopEvents struct{}

func (nopEvents) Progress(int64, int64, string) {}
func (nopEvents) Metric(int64, string, float64) {}
func (nopEvents) Log(string)                    {}

func synthData(rows, n int, seed uint64) *Data {
	r := model.NewRNG(seed)
	d := &Data{}
	for i := 0; i < rows; i++ {
		toks := make([]int32, n)
		for j := range toks {
			// A learnable pattern: mostly the previous token plus one.
			if j > 0 && r.Intn(4) != 0 {
				toks[j] = (toks[j-1] + 1) % 23
			} else {
				toks[j] = int32(r.Intn(23))
			}
		}
		d.add(toks, []int32{0, int32(n / 2)}, 16)
		d.MaxID = 22
	}
	return d
}

func testConfig() Config {
	c := DefaultConfig()
	c.NLayer, c.NHead, c.NEmbd, c.BlockSize, c.BatchSize, c.GradAccum = 2, 2, 16, 16, 3, 2
	c.MaxSteps, c.Warmup, c.EvalEvery, c.EvalBatches, c.LogEvery = 6, 2, 3, 2, 1
	c.LR, c.MinLR = 1e-2, 1e-3
	return c
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
	res, err := Train(context.Background(), c, Inputs{Train: synthData(20, 33, 1), Val: synthData(4, 33, 2)}, t.TempDir(), nopEvents{})
	if err != nil {
		t.Fatal(err)
	}
	// Uniform guessing over 23 ids costs ln 23 = 3.14 nats.
	if res.ValLoss > 2.2 {
		t.Fatalf("val loss %.3f after %d steps; the model does not learn", res.ValLoss, res.Steps)
	}
}

// TestResumeBitIdentical stops a run halfway, resumes it, and requires the
// same weights as a run that never stopped, at 1 and 2 threads.
func TestResumeBitIdentical(t *testing.T) {
	in := Inputs{Train: synthData(7, 40, 3), Val: synthData(2, 20, 4)}
	c := testConfig()
	straight := t.TempDir()
	if _, err := Train(context.Background(), c, in, straight, nopEvents{}); err != nil {
		t.Fatal(err)
	}
	half := c
	half.MaxSteps = 3
	resumed := t.TempDir()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if _, err := Train(context.Background(), half, in, resumed, nopEvents{}); err != nil {
		t.Fatal(err)
	}
	runtime.GOMAXPROCS(2)
	res, err := Train(context.Background(), c, in, resumed, nopEvents{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != c.MaxSteps {
		t.Fatalf("resumed run ended at step %d, want %d", res.Steps, c.MaxSteps)
	}
	if !bytes.Equal(weights(t, straight), weights(t, resumed)) {
		t.Fatal("resumed weights differ from an uninterrupted run")
	}
	for _, f := range []string{model.StateFile, model.StateMetaFile, model.ConfigFile} {
		a, _ := os.ReadFile(filepath.Join(straight, ModelDirName, f))
		b, _ := os.ReadFile(filepath.Join(resumed, ModelDirName, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the resumed and the uninterrupted run", f)
		}
	}
}

func TestStopSaves(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	_, err := Train(ctx, testConfig(), Inputs{Train: synthData(4, 20, 5)}, dir, nopEvents{})
	if err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, err := model.LoadCheckpoint(filepath.Join(dir, ModelDirName)); err != nil {
		t.Fatal(err)
	}
}

// TestGradAccumEqualsBigBatch checks that the loss is normalised once per
// optimizer step: two micro-batches of 3 rows (of unequal token counts) give
// the update of one batch of 6.
func TestGradAccumEqualsBigBatch(t *testing.T) {
	d := synthData(6, 40, 9)
	// Unequal lengths so a per-micro-batch mean would weigh tokens differently.
	d.Examples[1], d.Examples[4] = d.Examples[1][:5], d.Examples[4][:9]
	run := func(batch, accum int) []float32 {
		c := testConfig()
		c.BatchSize, c.GradAccum, c.MaxSteps, c.Warmup, c.EvalEvery, c.GradClip = batch, accum, 1, 0, 0, 0
		tr, err := newTrainer(c, Inputs{Train: d}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tr.step(1e-2); err != nil {
			t.Fatal(err)
		}
		// Adam's first step is nearly scale-free, so compare the gradients.
		return tr.m.Grads
	}
	a, b := run(6, 1), run(3, 2)
	for i := range a {
		if diff := a[i] - b[i]; diff > 1e-6 || diff < -1e-6 {
			t.Fatalf("gradient %d: %v with one batch, %v with accumulation", i, a[i], b[i])
		}
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
// absent, empty or present (without a tokenizer, so bits per byte are
// unknown): a metric that was not measured is left out, never 0 or NaN.
func TestValidationMetricsNeverMadeUp(t *testing.T) {
	for _, tc := range []struct {
		name    string
		val     *Data
		wantVal bool
	}{
		{"absent", nil, false},
		{"empty", &Data{}, false},
		{"present", synthData(2, 20, 4), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := &valEvents{metrics: map[string][]float64{}}
			if _, err := Train(context.Background(), testConfig(), Inputs{Train: synthData(7, 40, 3), Val: tc.val}, t.TempDir(), ev); err != nil {
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
