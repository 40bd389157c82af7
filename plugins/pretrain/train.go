package pretrain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// Events receives what a training run reports (a subset of sdk.Events).
type Events interface {
	Progress(done, total int64, unit string)
	Metric(step int64, name string, value float64)
	Log(line string)
}

// Inputs are what Train reads.
type Inputs struct {
	Train *Data
	Val   *Data // optional
	// TokenizerJSON is the tokenizer.json copied into the checkpoint (optional).
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
}

// state is the resumable position of a run, stored in training_state.json.
type state struct {
	Step       int    `json:"step"`
	Tokens     int64  `json:"tokens"`
	Epoch      int    `json:"epoch"`
	Cursor     int    `json:"cursor"`
	RNG        uint64 `json:"rng_state"`
	ConfigHash string `json:"config_hash"`
}

// trainer holds everything a step touches, allocated once.
type trainer struct {
	cfg      Config
	m        *model.Model
	opt      *model.AdamW
	in       Inputs
	tok      *tokenizer.Tokenizer
	st       state
	perm     []int
	inputs   []int32 // grad_accum × B × T
	targets  []int32
	seg      []int32
	budget   time.Duration
	elapsed  time.Duration // training time before this process (resumed runs)
	schedule model.Schedule
}

// ModelDirName is the output directory (under outDir) of the checkpoint.
const ModelDirName = "model"

// Train runs the training loop and writes the checkpoint to outDir/model. When
// ctx is cancelled it finishes the current step, saves, and returns the
// result with ctx.Err().
func Train(ctx context.Context, cfg Config, in Inputs, outDir string, ev Events) (*Result, error) {
	t, err := newTrainer(cfg, in, outDir)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(outDir, ModelDirName)
	if t.st.Step > 0 {
		ev.Log(fmt.Sprintf("resuming from the checkpoint saved at step %d (%d tokens)", t.st.Step, t.st.Tokens))
	}
	if in.Val != nil && len(in.Val.Examples) == 0 {
		// A loss over no tokens is not 0; leave the metrics out instead.
		ev.Log("the validation dataset has no row of two or more tokens; no val_loss or val_bpb is reported")
		in.Val, t.in.Val = nil, nil
	}
	start := time.Now()
	res := &Result{Dir: dir, ValLoss: math.NaN(), ValBPB: math.NaN()}
	lastLog, lastTokens := time.Now(), t.st.Tokens
	var stopErr error
	for !t.done(time.Since(start)) {
		if ctx.Err() != nil {
			stopErr = ctx.Err()
			break
		}
		lr := t.lr(time.Since(start))
		loss, norm, err := t.step(lr)
		if err != nil {
			return nil, err
		}
		res.TrainLoss = loss
		step := int64(t.st.Step)
		if cfg.LogEvery > 0 && t.st.Step%cfg.LogEvery == 0 {
			dt := time.Since(lastLog).Seconds()
			ev.Metric(step, "train_loss", loss)
			ev.Metric(step, "lr", lr)
			ev.Metric(step, "grad_norm", norm)
			ev.Metric(step, "tokens_per_s", float64(t.st.Tokens-lastTokens)/dt)
			lastLog, lastTokens = time.Now(), t.st.Tokens
		}
		if total := int64(t.schedule.MaxSteps); total > 0 {
			ev.Progress(step, total, "steps")
		} else {
			ev.Progress(int64((t.elapsed + time.Since(start)).Seconds()), int64(t.budget.Seconds()), "s")
		}
		if cfg.EvalEvery > 0 && t.st.Step%cfg.EvalEvery == 0 && in.Val != nil {
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
			if err := t.save(dir, time.Since(start)); err != nil {
				return nil, err
			}
		}
	}
	if in.Val != nil {
		res.ValLoss, res.ValBPB = t.evaluate()
		reportVal(ev, int64(t.st.Step), res.ValLoss, res.ValBPB)
	}
	if err := t.save(dir, time.Since(start)); err != nil {
		return nil, err
	}
	res.Steps, res.Tokens = t.st.Step, t.st.Tokens
	ev.Log(fmt.Sprintf("saved %s after %d steps (%d tokens)", dir, t.st.Step, t.st.Tokens))
	return res, stopErr
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

func newTrainer(cfg Config, in Inputs, outDir string) (*trainer, error) {
	if ps := cfg.Check(); len(ps) > 0 {
		return nil, fmt.Errorf("pretrain config: %s: %s", ps[0].Attr, ps[0].Detail)
	}
	if in.Train == nil || len(in.Train.Examples) == 0 {
		return nil, errors.New("pretrain: the training dataset has no row of two or more tokens")
	}
	t := &trainer{cfg: cfg, in: in}
	t.budget, _ = cfg.Budget()
	vocab := int(in.Train.MaxID) + 1
	if in.Val != nil {
		vocab = max(vocab, int(in.Val.MaxID)+1)
	}
	if in.TokenizerJSON != "" {
		tok, err := tokenizer.Load(in.TokenizerJSON)
		if err != nil {
			return nil, err
		}
		t.tok = tok
		vocab = max(vocab, tok.VocabSize())
	}
	if cfg.VocabSize > 0 {
		if cfg.VocabSize < vocab {
			return nil, fmt.Errorf("pretrain config: vocab_size %d is smaller than the data and tokenizer need (%d)", cfg.VocabSize, vocab)
		}
		vocab = cfg.VocabSize
	}
	mc := model.Config{VocabSize: vocab, NPositions: cfg.BlockSize, NLayer: cfg.NLayer, NHead: cfg.NHead,
		NEmbd: cfg.NEmbd, LayerNormEps: 1e-5}
	if t.tok != nil {
		if id, ok := t.tok.SpecialID("<|endoftext|>"); ok {
			mc.BOSTokenID, mc.EOSTokenID = int(id), int(id)
		}
	}
	m, err := model.New(mc)
	if err != nil {
		return nil, err
	}
	t.m = m
	t.opt = model.NewAdamW(len(m.Params), float32(cfg.WeightDecay))
	t.opt.DecayAll = cfg.DecayAll
	t.st.ConfigHash = configHash(cfg, mc)
	n := cfg.GradAccum * cfg.BatchSize * cfg.BlockSize
	t.inputs, t.targets, t.seg = make([]int32, n), make([]int32, n), make([]int32, n)
	t.schedule = model.Schedule{LR: cfg.LR, MinLR: cfg.MinLR, WarmupSteps: cfg.Warmup, MaxSteps: t.maxSteps()}
	resume := in.Resume
	if resume == "" {
		if _, err := os.Stat(filepath.Join(outDir, ModelDirName, model.StateMetaFile)); err == nil {
			resume = filepath.Join(outDir, ModelDirName)
		}
	}
	if resume != "" {
		if err := t.restore(resume); err != nil {
			return nil, err
		}
	} else {
		m.Init(uint64(cfg.Seed))
		t.st.RNG = uint64(cfg.Seed)
	}
	t.shuffle()
	m.Reserve(cfg.BatchSize, cfg.BlockSize)
	return t, nil
}

// configHash identifies what a training state belongs to; resuming under a
// different shape or schedule is refused. Limits may change between runs.
func configHash(c Config, mc model.Config) string {
	c.MaxSteps, c.MaxTokens, c.TimeBudget, c.EvalEvery, c.EvalBatches, c.SaveEvery, c.LogEvery = 0, 0, "", 0, 0, 0, 0
	b, _ := json.Marshal(struct {
		C  Config
		MC model.Config
	}{c, mc})
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8])
}

// maxSteps is the step count the cosine decay spans (0 when only a time
// budget bounds the run).
func (t *trainer) maxSteps() int {
	tokPerStep := int64(t.cfg.GradAccum * t.cfg.BatchSize * t.cfg.BlockSize)
	s := t.cfg.MaxSteps
	if t.cfg.MaxTokens > 0 {
		ts := int((t.cfg.MaxTokens + tokPerStep - 1) / tokPerStep)
		if s == 0 || ts < s {
			s = ts
		}
	}
	return s
}

func (t *trainer) done(elapsed time.Duration) bool {
	if t.schedule.MaxSteps > 0 && t.st.Step >= t.schedule.MaxSteps {
		return true
	}
	return t.budget > 0 && t.elapsed+elapsed >= t.budget
}

// lr follows the step schedule, or with only a time budget, warmup by step
// then cosine decay by the fraction of the budget spent.
func (t *trainer) lr(elapsed time.Duration) float64 {
	if t.schedule.MaxSteps > 0 {
		return t.schedule.At(t.st.Step)
	}
	s := t.schedule
	if t.st.Step < s.WarmupSteps {
		return s.At(t.st.Step)
	}
	p := min(1, float64(t.elapsed+elapsed)/float64(t.budget))
	return s.MinLR + 0.5*(1+math.Cos(math.Pi*p))*(s.LR-s.MinLR)
}

// shuffle derives the example order of the current epoch from the seed, so
// (epoch, cursor) is all a resumed run needs.
func (t *trainer) shuffle() {
	n := len(t.in.Train.Examples)
	if len(t.perm) != n {
		t.perm = make([]int, n)
	}
	for i := range t.perm {
		t.perm[i] = i
	}
	r := model.NewRNG(uint64(t.cfg.Seed)*0x9e3779b97f4a7c15 + uint64(t.st.Epoch))
	for i := n - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		t.perm[i], t.perm[j] = t.perm[j], t.perm[i]
	}
}

func (t *trainer) nextExample() int {
	if t.st.Cursor >= len(t.perm) {
		t.st.Epoch++
		t.st.Cursor = 0
		t.shuffle()
	}
	i := t.perm[t.st.Cursor]
	t.st.Cursor++
	return i
}

// step runs one optimizer step over grad_accum micro-batches. The loss is
// normalised once, by the number of targets in the whole step.
func (t *trainer) step(lr float64) (loss, norm float64, err error) {
	B, T := t.cfg.BatchSize, t.cfg.BlockSize
	total := 0
	for i := 0; i < t.cfg.GradAccum*B; i++ {
		e := t.nextExample()
		total += fill(t.inputs[i*T:(i+1)*T], t.targets[i*T:(i+1)*T], t.seg[i*T:(i+1)*T],
			t.in.Train.Examples[e], t.in.Train.DocStarts[e], T)
	}
	t.m.ZeroGrad()
	var sum float64
	for a := 0; a < t.cfg.GradAccum; a++ {
		lo, hi := a*B*T, (a+1)*B*T
		scale := 1 / float32(max(total, 1))
		s, _, err := t.m.ForwardTrain(t.inputs[lo:hi], t.targets[lo:hi], t.seg[lo:hi], B, T, scale)
		if err != nil {
			return 0, 0, err
		}
		sum += s
		if err := t.m.Backward(scale); err != nil {
			return 0, 0, err
		}
	}
	norm = t.m.ClipGrads(t.cfg.GradClip)
	t.opt.Update(t.m, float32(lr))
	t.st.Step++
	t.st.Tokens += int64(total)
	return sum / float64(max(total, 1)), norm, nil
}

// evaluate returns the mean validation loss (nats per token) over the first
// eval_batches batches and the bits per byte of the target text; NaN for
// what could not be measured.
func (t *trainer) evaluate() (loss, bpb float64) {
	B, T := t.cfg.BatchSize, t.cfg.BlockSize
	ev, err := Evaluate(t.m, t.tok, t.in.Val, B, T, t.cfg.EvalBatches, t.inputs[:B*T], t.targets[:B*T], t.seg[:B*T])
	if err != nil || ev.Targets == 0 {
		return math.NaN(), math.NaN()
	}
	return ev.Loss(), ev.BPB()
}
