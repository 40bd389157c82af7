package trainer

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/model/kernel"
)

// ModelDirName is the output directory (under outDir) of the checkpoint.
const ModelDirName = "model"

// Events receives what a training run reports (a subset of sdk.Events).
type Events interface {
	Progress(done, total int64, unit string)
	Metric(step int64, name string, value float64)
	Log(line string)
}

// Spec is what a training stage hands to Run.
type Spec struct {
	Name string // the stage, for messages
	// Config is the shared settings.
	Config Config
	// Settings is the stage's whole config, a struct embedding Config. Its
	// own fields, Config without its limits, and the model's shape make the
	// hash a saved state must match to be resumed.
	Settings any
	// Model is the model to train, initialised or loaded by the stage. A
	// resumed run overwrites its parameters with the saved ones.
	Model *model.Model
	// BlockSize is the number of positions of every batch row.
	BlockSize int
	// Train yields the training rows (NewShuffled for a token dataset,
	// NewPacked for short examples packed several to a row).
	Train Source
	Val   *Data // optional
	Loss  Loss  // nil: TokenLoss
	// Tokenizer (optional) measures validation bits per byte;
	// TokenizerJSON (optional) is copied into the checkpoint.
	Tokenizer     *tokenizer.Tokenizer
	TokenizerJSON string
	// Resume names a checkpoint directory with training state to continue
	// from; empty resumes from outDir/model when it holds training state.
	Resume string
}

// Result summarises a finished (or stopped) run.
type Result struct {
	Dir       string // the checkpoint directory
	Steps     int
	Tokens    int64
	TrainLoss float64
	ValLoss   float64 // NaN without validation data
	ValBPB    float64 // bits per byte of validation text, NaN when unknown
	// TensorBoardDir holds the event files when the config asked for them.
	TensorBoardDir string
}

// Run trains spec.Model and writes the checkpoint to outDir/model. When ctx
// is cancelled it finishes the current step, saves, and returns the result
// with ctx.Err().
func Run(ctx context.Context, spec Spec, outDir string, ev Events) (*Result, error) {
	t, err := newTrainer(spec, outDir)
	if err != nil {
		return nil, err
	}
	var tbDir string
	if t.cfg.TensorBoard {
		tbDir = filepath.Join(outDir, TensorBoardDirName)
		tb, err := newTensorBoardEvents(ev, tbDir)
		if err != nil {
			return nil, fmt.Errorf("%s: tensorboard: %w", spec.Name, err)
		}
		defer tb.close()
		ev = tb
	}
	if t.m.Precision() == model.BF16 {
		ev.Log(fmt.Sprintf("precision bf16: matrix kernels %s (%s)", kernel.Path(), kernel.ISA()))
	}
	if t.st.Step > 0 {
		ev.Log(fmt.Sprintf("resuming from the checkpoint saved at step %d (%d tokens)", t.st.Step, t.st.Tokens))
	}
	if t.spec.Val != nil && len(t.spec.Val.Examples) == 0 {
		// A loss over no tokens is not 0; leave the metrics out instead.
		ev.Log("the validation dataset has no row of two or more tokens; no val_loss or val_bpb is reported")
		t.spec.Val = nil
	}
	t.start = time.Now()
	t.lastLog, t.lastTokens = t.start, t.st.Tokens
	res := &Result{Dir: t.dir, ValLoss: math.NaN(), ValBPB: math.NaN(), TensorBoardDir: tbDir}
	var stopErr error
	for !t.done(time.Since(t.start)) {
		if ctx.Err() != nil {
			stopErr = ctx.Err()
			break
		}
		lr := t.lr(time.Since(t.start))
		loss, norm, err := t.step(lr)
		if err != nil {
			return nil, err
		}
		res.TrainLoss = loss
		if err := t.afterStep(ev, loss, norm, lr); err != nil {
			return nil, err
		}
	}
	if err := t.finish(ev, res); err != nil {
		return nil, err
	}
	return res, stopErr
}

// trainer holds everything a step touches, allocated once.
type trainer struct {
	spec     Spec
	cfg      Config
	m        *model.Model
	opt      *model.AdamW
	loss     Loss
	st       state
	buf      *buffers
	dir      string
	budget   time.Duration
	elapsed  time.Duration // training time before this process (resumed runs)
	schedule model.Schedule
	// saveDType is the dtype of the saved weights.
	saveDType model.Precision
	// Wall clock of this process's run and of the last train metrics.
	start, lastLog time.Time
	lastTokens     int64
}

func newTrainer(spec Spec, outDir string) (*trainer, error) {
	if spec.Model == nil || spec.Train == nil || spec.BlockSize <= 0 {
		return nil, fmt.Errorf("%s: the training spec lacks a model, a source or a block size; this is a bug in llmflow", spec.Name)
	}
	cfg := spec.Config
	if diags := cfg.Check(); diags.HasErrors() {
		return nil, fmt.Errorf("%s config: %w", spec.Name, diags.Err())
	}
	if err := kernel.PathEnvError(); err != nil {
		return nil, fmt.Errorf("%s: %v", spec.Name, err)
	}
	t := &trainer{spec: spec, cfg: cfg, m: spec.Model, loss: spec.Loss, dir: filepath.Join(outDir, ModelDirName)}
	prec, _ := model.ParsePrecision(cfg.Precision) // checked above
	t.m.SetPrecision(prec)
	t.saveDType, _ = model.ParsePrecision(cfg.SaveDType)
	if t.loss == nil {
		t.loss = TokenLoss{}
	}
	t.budget, _ = cfg.Budget()
	t.opt = model.NewAdamW(t.m.NumTrainable(), float32(cfg.WeightDecay))
	t.opt.DecayAll = cfg.DecayAll
	t.st.ConfigHash = stateHash(spec.Settings, cfg, t.m.Config)
	t.buf = newBuffers(cfg.GradAccum*cfg.BatchSize, spec.BlockSize)
	t.schedule = model.Schedule{LR: cfg.LR, MinLR: cfg.MinLR, WarmupSteps: cfg.Warmup, MaxSteps: t.maxSteps()}
	resume := spec.Resume
	if resume == "" {
		if _, err := os.Stat(filepath.Join(t.dir, model.StateMetaFile)); err == nil {
			resume = t.dir
		}
	}
	if resume != "" {
		if err := t.restore(resume); err != nil {
			return nil, err
		}
	} else {
		t.st.RNG = uint64(cfg.Seed)
	}
	t.m.Reserve(cfg.BatchSize, spec.BlockSize)
	return t, nil
}

// afterStep reports metrics and progress, and evaluates and saves when due.
func (t *trainer) afterStep(ev Events, loss, norm, lr float64) error {
	cfg, step := t.cfg, int64(t.st.Step)
	if cfg.LogEvery > 0 && t.st.Step%cfg.LogEvery == 0 {
		dt := time.Since(t.lastLog).Seconds()
		ev.Metric(step, "train_loss", loss)
		ev.Metric(step, "lr", lr)
		ev.Metric(step, "grad_norm", norm)
		ev.Metric(step, "tokens_per_s", float64(t.st.Tokens-t.lastTokens)/dt)
		if c, ok := t.spec.Train.(Counter); ok {
			ev.Metric(step, "examples_seen", float64(c.Seen()))
		}
		t.lastLog, t.lastTokens = time.Now(), t.st.Tokens
	}
	if total := int64(t.schedule.MaxSteps); total > 0 {
		ev.Progress(step, total, "steps")
	} else {
		ev.Progress(int64((t.elapsed + time.Since(t.start)).Seconds()), int64(t.budget.Seconds()), "s")
	}
	if cfg.EvalEvery > 0 && t.st.Step%cfg.EvalEvery == 0 && t.spec.Val != nil {
		vl, bpb := t.evaluate()
		line := fmt.Sprintf("step %d: train loss %.4f", step, loss)
		if reportVal(ev, step, vl, bpb) {
			line += fmt.Sprintf(", val loss %.4f", vl)
			if !math.IsNaN(bpb) {
				line += fmt.Sprintf(", val bpb %.4f", bpb)
			}
		}
		ev.Log(line)
	}
	if cfg.SaveEvery > 0 && t.st.Step%cfg.SaveEvery == 0 {
		// Said before saving: the host then records the metrics so far,
		// which a run killed after this save resumes without.
		ev.Log(fmt.Sprintf("saving the checkpoint at step %d", step))
		return t.save(time.Since(t.start))
	}
	return nil
}

// finish evaluates and saves at the end of a run, finished or stopped.
func (t *trainer) finish(ev Events, res *Result) error {
	if t.spec.Val != nil {
		res.ValLoss, res.ValBPB = t.evaluate()
		reportVal(ev, int64(t.st.Step), res.ValLoss, res.ValBPB)
	}
	if err := t.save(time.Since(t.start)); err != nil {
		return err
	}
	res.Steps, res.Tokens = t.st.Step, t.st.Tokens
	ev.Log(fmt.Sprintf("saved %s after %d steps (%d tokens)", t.dir, t.st.Step, t.st.Tokens))
	return nil
}

// evaluate returns the mean validation loss (nats per token) over the first
// eval_batches batches and the bits per byte of the target text; NaN for
// what could not be measured.
func (t *trainer) evaluate() (loss, bpb float64) {
	o := EvalOptions{BatchSize: t.cfg.BatchSize, BlockSize: t.spec.BlockSize, MaxBatches: t.cfg.EvalBatches,
		ResetPositionIDs: t.cfg.ResetPositionIDs}
	r, err := evaluate(t.m, t.spec.Tokenizer, t.spec.Val, o, t.buf)
	if err != nil || r.Targets == 0 {
		return math.NaN(), math.NaN()
	}
	return r.Loss(), r.BPB()
}

// reportVal emits the validation metrics that were measured: bits per byte
// is unknown without a tokenizer, and a failed evaluation gives neither.
// It reports whether there was a loss.
func reportVal(ev Events, step int64, loss, bpb float64) bool {
	if math.IsNaN(loss) {
		return false
	}
	ev.Metric(step, "val_loss", loss)
	if !math.IsNaN(bpb) {
		ev.Metric(step, "val_bpb", bpb)
	}
	return true
}
