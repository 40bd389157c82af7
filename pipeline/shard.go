package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/stream"
)

// A node with `shards = N` runs as N tasks over consecutive rows of its
// input, each writing its part of every output batch for batch, and a
// merge that writes the parts in order through one dataset writer. The
// writer then sees the batches a whole run gives it, so the outputs are
// byte-identical for any N and any executor.

// runShardsHere runs a sharded node's tasks as goroutines of the host,
// and merges them: beside the tasks, part by part as they end, where the
// node type allows, else after them.
func (r *run) runShardsHere(ctx context.Context, n *prepared, nr *NodeRun) (map[string]string, error) {
	dir := r.e.Store.WorkDir(nr.Key) // held under the node's lock
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tasks := n.Meta.Shards
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ctx = context.WithValue(ctx, directMergesKey{}, &directMerges{out: map[string]*directOutput{}})
	done := newTasksDone(tasks)
	type merged struct {
		out map[string]string
		err error
	}
	var merge chan merged
	if n.bt.MergeAsTasksEnd {
		merge = make(chan merged, 1)
		go func() {
			out, err := n.bt.Merge(context.WithValue(ctx, tasksDoneKey{}, done), nr, dir, tasks)
			if err != nil {
				cancel(err)
			}
			merge <- merged{out, err}
		}()
	}
	runTasksHere(ctx, cancel, tasks, done, func(i int) error { return n.bt.RunShard(ctx, nr, dir, i, tasks) })
	if merge != nil {
		m := <-merge // ends once the tasks end or fail
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return m.out, m.err
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return n.bt.Merge(ctx, nr, dir, tasks)
}

// runTasksHere runs task 0 to tasks-1 and marks each done that succeeds;
// the first that fails cancels the rest with its error. As many run at
// once as there are CPUs, as a cluster runs them: more would hold more
// parts in memory at once without finishing sooner. They start in order,
// so a merge beside them finds the parts it needs first.
func runTasksHere(ctx context.Context, cancel context.CancelCauseFunc, tasks int, done *tasksDone, task func(i int) error) {
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range tasks {
		slots <- struct{}{}
		if ctx.Err() != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			if err := task(i); err != nil {
				cancel(fmt.Errorf("shard %d of %d: %w", i, tasks, err))
				return
			}
			close(done.done[i])
		}()
	}
}

// tasksDone tells a merge that runs beside the tasks when each has ended.
type tasksDone struct{ done []chan struct{} }

func newTasksDone(tasks int) *tasksDone {
	d := &tasksDone{done: make([]chan struct{}, tasks)}
	for i := range d.done {
		d.done[i] = make(chan struct{})
	}
	return d
}

type tasksDoneKey struct{}

// waitTask waits until task i has left its outputs, when the merge runs
// beside the tasks; a merge after them, or in a job, does not wait.
func waitTask(ctx context.Context, i int) error {
	d, _ := ctx.Value(tasksDoneKey{}).(*tasksDone)
	if d == nil || i < 0 || i >= len(d.done) {
		return nil
	}
	select {
	case <-d.done[i]:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// datasetPart is task's share of a dataset's rows, cut at the units of
// work the dataprep libraries split every input batch into: rows
// [i*DefaultBatchRows, (i+1)*DefaultBatchRows) of each batch. A task
// yields the units that start in its row range, so each library sees the
// units, and writes the output batches, of a whole run.
type datasetPart struct {
	*artifact.Dataset
	from, to int64 // rows
	unit     int64 // row of the unit Scan is yielding
}

// UnitRow returns the input row of the unit Scan is yielding.
func (p *datasetPart) UnitRow() int64 { return p.unit }

// Scan calls fn with the part's units in order. It reads only the
// batches that hold them, and checks only their rows, so that the tasks
// whose parts share a batch do not each check all of it.
func (p *datasetPart) Scan(ctx context.Context, fn func(rec arrow.RecordBatch) error) error {
	const unitRows = stream.DefaultBatchRows
	var first int64 // row number of the first row of the current file
	for i := range p.NumShards() {
		rows := p.ShardRows(i)
		if first+rows <= p.from {
			first += rows
			continue
		}
		if first >= p.to {
			return nil
		}
		batches, err := p.ShardBatchRows(i)
		if err != nil {
			return err
		}
		lo, hi := unitSpan(batches, p.from-first, p.to-first, unitRows)
		// Unit by unit: the span starts at a unit's first row, and the
		// pieces are cut in units from each batch's first row.
		err = p.ScanShardRows(ctx, i, lo, hi, unitRows, func(row int64, unit arrow.RecordBatch) error {
			p.unit = first + row
			return fn(unit)
		})
		if err != nil {
			return err
		}
		first += rows
	}
	return nil
}

// unitSpan returns the rows [lo, hi) of a file whose batches have the
// given rows that the units starting in rows [from, to) cover; each batch
// is cut into units of unitRows from its first row.
func unitSpan(batches []int64, from, to, unitRows int64) (lo, hi int64) {
	lo, hi = -1, 0
	var start int64
	for _, n := range batches {
		end := start + n
		s := start // the first unit that starts at or after from
		if from > start {
			s += (from - start + unitRows - 1) / unitRows * unitRows
		}
		if s < min(end, to) {
			if lo < 0 {
				lo = s
			}
			last := start + (min(end, to)-1-start)/unitRows*unitRows
			hi = min(last+unitRows, end)
		}
		if end >= to {
			break
		}
		start = end
	}
	if lo < 0 {
		return 0, 0
	}
	return lo, hi
}

// Rows returns the part's rows, for progress.
func (p *datasetPart) Rows() int64 { return p.to - p.from }

// inputPart returns task's share of the rows of input name.
func (r *NodeRun) inputPart(name string, task, tasks int) (*datasetPart, error) {
	in, err := r.inputDataset(name)
	if err != nil {
		return nil, err
	}
	n := in.Rows()
	return &datasetPart{Dataset: in, from: n * int64(task) / int64(tasks), to: n * int64(task+1) / int64(tasks)}, nil
}

// shardOutput is one dataset output of a sharded node.
type shardOutput struct {
	name   string
	schema *arrow.Schema
}

// runPartTask runs task's part of input "input" through fn, which writes
// to one sink per output and returns its counters, kept for the merge.
func runPartTask(ctx context.Context, run *NodeRun, dir string, task, tasks int, outputs func(in *arrow.Schema) []shardOutput,
	fn func(in *datasetPart, w []*partSink, rep taskReporter) (stats any, err error)) error {
	in, err := run.inputPart("input", task, tasks)
	if err != nil {
		return err
	}
	merges, _ := ctx.Value(directMergesKey{}).(*directMerges)
	var ws []*partSink
	for _, o := range outputs(in.Schema()) {
		w, err := partWriter(dir, o.name, task, o.schema)
		if err != nil {
			return err
		}
		defer w.Abort()
		ws = append(ws, &partSink{ctx: ctx, output: o.name, task: task, file: w, merges: merges})
	}
	st, err := fn(in, ws, taskReporter{run, task, tasks})
	if err != nil {
		return err
	}
	for _, w := range ws {
		if err := w.close(); err != nil {
			return err
		}
	}
	return saveShardStats(dir, task, st)
}

// A sharded node's tasks that run in the host beside a merge that only
// concatenates their parts (mergeOutputs) take turns to write into the
// merged outputs themselves: when every task before it has been merged, a
// task copies the rows it has written so far and writes the rest straight
// into the merged output, which the merge then need not copy. Running in
// order two or more at a time, about half the rows skip the part files.
// The merged output gets the same batches in the same order as from the
// parts, so the same bytes.

// directMerges are a node's merged outputs that tasks may write into, by
// output name.
type directMerges struct {
	mu  sync.Mutex
	out map[string]*directOutput
}

type directMergesKey struct{}

// directOutput is a merged output and whose turn it is to write into it.
type directOutput struct {
	w    *artifact.DatasetWriter
	turn atomic.Int64 // the task whose rows go into w next
	// mu is held while a task writes w, so that a merge that ends early
	// (the node failed) does not abort w under it; ended tells tasks so.
	mu    sync.Mutex
	took  map[int]bool // the tasks that wrote their rows into w themselves
	ended bool
}

var errMergeEnded = errors.New("the merge of the parts has ended")

// write runs fn on w unless the merge has ended.
func (d *directOutput) write(fn func(w *artifact.DatasetWriter) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ended {
		return errMergeEnded
	}
	return fn(d.w)
}

// end stops tasks writing w, once the merge returns.
func (d *directOutput) end() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ended = true
}

func (m *directMerges) register(output string, w *artifact.DatasetWriter) *directOutput {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := &directOutput{w: w, took: map[int]bool{}}
	m.out[output] = d
	return d
}

func (m *directMerges) lookup(output string) *directOutput {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.out[output]
}

func (d *directOutput) tookTurn(task int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.took[task]
}

// partSink is where a task writes one output: its part file, or the
// merged output once it is the task's turn.
type partSink struct {
	ctx    context.Context
	output string
	task   int
	file   *artifact.DatasetWriter // the part
	merges *directMerges           // nil: the part only
	into   *directOutput           // set once the task writes into the merged output
}

// Write appends rec to the part, or to the merged output when every
// task before this one has been merged.
func (s *partSink) Write(rec arrow.RecordBatch) error {
	if s.into == nil && s.merges != nil {
		if d := s.merges.lookup(s.output); d != nil && d.turn.Load() == int64(s.task) {
			if err := s.takeTurn(d); err != nil {
				return err
			}
		}
	}
	if s.into != nil {
		return s.into.write(func(w *artifact.DatasetWriter) error { return w.Write(rec) })
	}
	return s.file.Write(rec)
}

// takeTurn moves the rows written to the part so far into the merged
// output, whose writer the task holds from now until it ends.
func (s *partSink) takeTurn(d *directOutput) error {
	if err := s.file.Close(); err != nil {
		return err
	}
	part, err := artifact.OpenDataset(s.file.Dir())
	if err != nil {
		return err
	}
	err = d.write(func(w *artifact.DatasetWriter) error {
		d.took[s.task] = true
		return w.WriteDataset(s.ctx, part)
	})
	if err != nil {
		return err
	}
	s.into = d
	turnTaken(s.output, s.task)
	return nil
}

// turnTaken is called when a task starts writing into a merged output;
// tests replace it.
var turnTaken = func(output string, task int) {}

// close finishes the part, unless the rows went into the merged output.
func (s *partSink) close() error {
	if s.into != nil {
		return nil
	}
	return s.file.Close()
}

// mergeOutputs commits the tasks' parts of each output as a dataset of
// kind text and returns output name -> digest. The outputs are merged at
// the same time: each is a stream of its own, and the merge is the part of
// a sharded node that no task shares.
func mergeOutputs(ctx context.Context, run *NodeRun, dir string, tasks int, outputs func(in *arrow.Schema) []shardOutput) (map[string]string, error) {
	in, err := run.inputDataset("input")
	if err != nil {
		return nil, err
	}
	outs := outputs(in.Schema())
	digests := make([]string, len(outs))
	errs := make([]error, len(outs))
	var wg sync.WaitGroup
	for i, o := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			digests[i], errs[i] = mergeOutput(ctx, run, dir, tasks, o)
		}()
	}
	wg.Wait()
	out := map[string]string{}
	for i, o := range outs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out[o.name] = digests[i]
	}
	return out, nil
}

// mergeOutput commits the tasks' parts of output o and returns its digest.
func mergeOutput(ctx context.Context, run *NodeRun, dir string, tasks int, o shardOutput) (string, error) {
	w, err := run.newDatasetOutput(artifact.KindText, o.schema, artifact.WithCopyLayout())
	if err != nil {
		return "", err
	}
	defer w.abort()
	if err := mergeParts(ctx, dir, o.name, tasks, w.w); err != nil {
		return "", err
	}
	return w.commit(nil)
}

// partWriter writes task's part of output into the shard directory. One
// file holds the part, so no batch is split before the merge.
func partWriter(dir, output string, task int, schema *arrow.Schema) (*artifact.DatasetWriter, error) {
	return artifact.NewDatasetWriter(partDir(dir, output, task), schema, artifact.WithShardRows(math.MaxInt64))
}

func partDir(dir, output string, task int) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%05d", output, task))
}

// mergeParts writes the tasks' parts of output, in task order, to w.
// Beside the tasks in the host, each task in turn may write its rows into
// w itself.
func mergeParts(ctx context.Context, dir, output string, tasks int, w *artifact.DatasetWriter) error {
	var direct *directOutput
	if m, _ := ctx.Value(directMergesKey{}).(*directMerges); m != nil && ctx.Value(tasksDoneKey{}) != nil {
		direct = m.register(output, w)
		defer direct.end()
	}
	for i := range tasks {
		if err := waitTask(ctx, i); err != nil {
			return err
		}
		if direct == nil || !direct.tookTurn(i) {
			part, err := artifact.OpenDataset(partDir(dir, output, i))
			if err != nil {
				return fmt.Errorf("part %d of %s: %w", i, output, err)
			}
			if err := w.WriteDataset(ctx, part); err != nil {
				return fmt.Errorf("part %d of %s: %w", i, output, err)
			}
		}
		if direct != nil {
			direct.turn.Store(int64(i + 1)) // w is task i+1's until it ends
		}
	}
	return nil
}

// saveShardStats and loadShardStats keep each task's counters for the
// merge, which reports their sum.
func saveShardStats(dir string, task int, st any) error {
	return writeJSONFile(filepath.Join(dir, fmt.Sprintf("stats-%05d.json", task)), st, 0o644)
}

func loadShardStats[S any](ctx context.Context, dir string, tasks int, add func(S)) error {
	for i := range tasks {
		if err := waitTask(ctx, i); err != nil {
			return err
		}
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("stats-%05d.json", i)))
		if err != nil {
			return fmt.Errorf("shard %d left no counters: %w", i, err)
		}
		var st S
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("shard %d counters: %w", i, err)
		}
		add(st)
	}
	return nil
}

// taskReporter forwards a task's progress into the node's, summed over
// its tasks, but not its metrics: a task reports only its share, and the
// merge reports the sums.
type taskReporter struct {
	r           *NodeRun
	task, tasks int
}

func (p taskReporter) Progress(done, total int64, unit string) {
	p.r.taskProgress(p.task, p.tasks, done, total, unit)
}

func (p taskReporter) Metric(string, int64, float64) {}

// shardProgress sums the progress of a sharded node's tasks: each reports
// its own part, and a bar that showed them in turn would jump back and
// forth.
type shardProgress struct {
	mu          sync.Mutex
	done, total []int64
	reported    []bool
}

func newShardProgress(tasks int) *shardProgress {
	return &shardProgress{done: make([]int64, tasks), total: make([]int64, tasks), reported: make([]bool, tasks)}
}

// add records task's figures and calls report with the node's, under the
// lock so that the node's done never goes back. A task that has not
// reported yet counts as the mean of those that have (the parts are
// equal shares of the rows); the total is unknown while any task's is.
func (p *shardProgress) add(task int, done, total int64, report func(done, total int64)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if task < 0 || task >= len(p.done) {
		return
	}
	p.done[task], p.total[task], p.reported[task] = max(p.done[task], done), total, true
	var sumDone, sumTotal, known int64
	unknown := false
	for i := range p.done {
		sumDone += p.done[i]
		switch {
		case !p.reported[i]:
		case p.total[i] <= 0:
			unknown = true
		default:
			sumTotal += p.total[i]
			known++
		}
	}
	if unknown {
		report(sumDone, 0)
		return
	}
	report(sumDone, sumTotal+sumTotal/known*(int64(len(p.total))-known))
}
