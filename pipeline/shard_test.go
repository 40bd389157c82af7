package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/llmflow/llmflow/artifact"
)

// execJobEnv makes the test binary a job process: it runs ExecJob on the
// job directory named by the variable, as `llmflow node exec` does.
const execJobEnv = "LLMFLOW_TEST_EXEC_JOB"

func TestMain(m *testing.M) {
	if dir := os.Getenv(execJobEnv); dir != "" {
		task, _ := strconv.Atoi(os.Getenv(TaskEnv))
		part := JobPart{Task: task, Merge: os.Getenv("LLMFLOW_TEST_MERGE") == "1"}
		if os.Getenv("LLMFLOW_TEST_NO_TIME") == "1" {
			part.TimeLeft = func() (time.Duration, bool) { return time.Millisecond, true }
		}
		if err := ExecJob(context.Background(), dir, nil, part); err != nil {
			fmt.Fprintln(os.Stderr, "Error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// processRunner runs each task of a job as a process of the test binary:
// the job protocol through real processes, without a cluster.
type processRunner struct {
	mu     sync.Mutex
	jobs   []string // "tasks" or "merge" per job, in order
	output []byte   // what the job processes printed, as a cluster logs it
	slots  int      // > 0: tasks at once, started in order, as on a small cluster
	env    []string // added to the tasks' environment
}

func (p *processRunner) RunJob(ctx context.Context, job *Job) error {
	if job.Fresh != nil {
		if err := job.Fresh(); err != nil {
			return err
		}
	}
	merge := len(job.Command) == 3 && job.Command[1] == "--merge"
	dir := job.Command[len(job.Command)-1]
	p.mu.Lock()
	p.jobs = append(p.jobs, fmt.Sprintf("%d tasks merge=%v", job.Tasks, merge))
	p.mu.Unlock()
	errs := make([]error, job.Tasks)
	slots := make(chan struct{}, cmp.Or(p.slots, job.Tasks))
	var wg sync.WaitGroup
	for i := range job.Tasks {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
			cmd.Env = append(append(os.Environ(), p.env...), execJobEnv+"="+dir, TaskEnv+"="+strconv.Itoa(i))
			if merge {
				cmd.Env = append(cmd.Env, "LLMFLOW_TEST_MERGE=1")
			}
			out, err := cmd.CombinedOutput()
			p.mu.Lock()
			p.output = append(p.output, out...)
			p.mu.Unlock()
			if err != nil {
				errs[i] = fmt.Errorf("task %d: %v: %s", i, err, out)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// metricLog records the last value of every metric, and every node's
// progress.
type metricLog struct {
	eventLog
	mu       sync.Mutex
	metrics  map[string]float64
	progress map[string][][2]int64 // done, total
}

func (m *metricLog) NodeProgress(addr string, done, total int64, _ string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.progress == nil {
		m.progress = map[string][][2]int64{}
	}
	m.progress[addr] = append(m.progress[addr], [2]int64{done, total})
}

// checkProgress checks that node's progress never went back and ended at
// rows of rows, all counted (when exact) or some (a job's tasks space
// their reports out).
func (m *metricLog) checkProgress(t *testing.T, node string, rows int64, exact bool) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	pts := m.progress[node]
	if len(pts) == 0 {
		t.Errorf("%s reported no progress", node)
		return
	}
	for i := 1; i < len(pts); i++ {
		if pts[i][0] < pts[i-1][0] {
			t.Errorf("%s progress went back from %d to %d: %v", node, pts[i-1][0], pts[i][0], pts)
			return
		}
	}
	last := pts[len(pts)-1]
	if last[1] != rows || (exact && last[0] != rows) || last[0] > rows {
		t.Errorf("%s progress ended at %d of %d, want %d rows: %v", node, last[0], last[1], rows, pts)
	}
}

// summaryLog records the summary counters of every node run too.
type summaryLog struct{ metricLog }

func (m *summaryLog) NodeFinished(r NodeResult) {
	m.eventLog.NodeFinished(r)
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, v := range r.Metrics {
		m.metrics[r.Addr+" "+name] = v
	}
}

func (m *metricLog) NodeMetric(addr, name string, _ int64, v float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.metrics[addr+" "+name] = v
}

// shardCorpus writes docs JSONL documents, a fifth of them too short for
// min_words = 5, so that clean keeps some and rejects some of every batch.
func shardCorpus(t *testing.T, docs int) string {
	path := filepath.Join(t.TempDir(), "corpus.jsonl")
	var b strings.Builder
	for i := range docs {
		if i%5 == 0 {
			fmt.Fprintf(&b, "{\"text\": \"short %d\"}\n", i)
			continue
		}
		fmt.Fprintf(&b, "{\"text\": \"Document %d tells of rivers and hills. It also speaks of bread and the number %d. Write to user%d@example.com for more.\"}\n", i, i*7919%10007, i%3)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// dupCorpus writes docs JSONL documents of random words, every seventh an
// exact copy of an earlier one and every seventh one word off the one
// before, so that dedup finds both kinds without large buckets.
func dupCorpus(t *testing.T, docs int) string {
	path := filepath.Join(t.TempDir(), "dups.jsonl")
	r := rand.New(rand.NewPCG(1, 2))
	var texts []string
	var b strings.Builder
	for i := range docs {
		var text string
		switch {
		case i%7 == 0 && i > 0:
			text = texts[r.IntN(i)]
		case i%7 == 1 && i > 1:
			w := strings.Fields(texts[i-1])
			w[r.IntN(len(w))] = "changed"
			text = strings.Join(w, " ")
		default:
			w := make([]string, 40)
			for k := range w {
				w[k] = fmt.Sprintf("w%d", r.IntN(5000))
			}
			text = strings.Join(w, " ")
		}
		texts = append(texts, text)
		fmt.Fprintf(&b, "{\"text\": %q}\n", text)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func shardPipeline(corpus, dups string, shards int) string {
	return fmt.Sprintf(`
dataset "d" {
  path = %q
}
dataset "dups" {
  path = %q
}
clean "c" {
  input             = dataset.d
  min_words         = 5
  gopher_repetition = false
  c4_min_sentences  = 2
  shards            = %d
}
pii "p" {
  input  = clean.c
  shards = %d
}
tokenizer "b" {
  input      = dataset.d
  vocab_size = 300
}
tokenize "t" {
  input        = pii.p
  tokenizer    = tokenizer.b
  block_size   = 16
  val_fraction = 0.1
  shards       = %d
}
tokenize "docs" {
  input        = pii.p
  tokenizer    = tokenizer.b
  block_size   = 64
  pack         = false
  drop_last    = true
  val_fraction = 0.2
  shards       = %d
}
dedup "u" {
  input  = dataset.dups
  index  = "disk"
  shards = %d
}
dedup "x" {
  input   = dataset.dups
  against = dataset.dups
  index   = "disk"
  shards  = %d
}
output "data" { value = clean.c }
output "rejects" { value = clean.c.rejects }
output "scrubbed" { value = pii.p }
output "train" { value = tokenize.t }
output "val" { value = tokenize.t.val }
output "docs_train" { value = tokenize.docs }
output "docs_val" { value = tokenize.docs.val }
output "unique" { value = dedup.u }
output "uncontaminated" { value = dedup.x }
`, corpus, dups, shards, shards, shards, shards, shards, shards)
}

// TestShardedCleanMatchesWhole runs clean, pii, tokenize and dedup whole and in shards, in the host
// and as job processes: the outputs are byte-identical and the counters
// are the whole run's.
func TestShardedCleanMatchesWhole(t *testing.T) {
	corpus := shardCorpus(t, 3*artifact.DefaultBatchRows+1000) // 4 input batches
	dups := dupCorpus(t, 2*artifact.DefaultBatchRows+500)
	var want map[string]string
	var wantMetrics map[string]float64
	for _, tc := range []struct {
		shards int
		jobs   bool
		slots  int // tasks a job runs at once; 0: all
	}{{1, false, 0}, {2, false, 0}, {3, false, 0}, {8, false, 0}, {4, true, 0}, {4, true, 1}, {1, true, 0}} {
		t.Run(fmt.Sprintf("shards=%d jobs=%v slots=%d", tc.shards, tc.jobs, tc.slots), func(t *testing.T) {
			store := newStore(t)
			log := &summaryLog{metricLog{metrics: map[string]float64{}}}
			runner := &processRunner{slots: tc.slots}
			e := &Engine{Store: store, Hook: log, Parallelism: 2}
			if tc.jobs {
				e.Executor, e.JobRunners, e.JobCommand = ExecutorSlurm, map[string]JobRunner{ExecutorSlurm: runner}, []string{"llmflow"}
			}
			var mu sync.Mutex
			turns := map[string]int{}
			turnTaken = func(output string, task int) {
				mu.Lock()
				defer mu.Unlock()
				turns[output]++
			}
			defer func() { turnTaken = func(string, int) {} }()
			res, err := e.Run(context.Background(), testPipeline(t, shardPipeline(corpus, dups, tc.shards), store, false))
			if err != nil {
				t.Fatalf("%v\n%q", err, log.events)
			}
			// In the host, tasks write into clean's and pii's merged outputs
			// in turn; a job's merge copies every part.
			if inHost := !tc.jobs && tc.shards > 1; (turns["data"] > 0) != inHost {
				t.Errorf("tasks took %d turns to write merged outputs, want them to: %v", turns["data"], inHost)
			}
			// The tasks' progress is summed into the node's.
			log.checkProgress(t, "clean.c", 3*artifact.DefaultBatchRows+1000, !tc.jobs)
			log.checkProgress(t, "pii.p", int64(log.metrics["clean.c docs_kept"]), !tc.jobs)
			dedupRows := int64(2*artifact.DefaultBatchRows + 500)
			log.checkProgress(t, "dedup.u", 2*dedupRows, true) // signing, then filtering
			if p := log.progress["dedup.u"]; len(p) > 0 && p[0][0] >= dedupRows {
				t.Errorf("dedup.u reported no progress while signing: %v", p)
			}
			if want == nil {
				want, wantMetrics = res.Outputs, log.metrics
				if wantMetrics["clean.c docs_in"] != float64(3*artifact.DefaultBatchRows+1000) || wantMetrics["pii.p found"] == 0 || wantMetrics["clean.c docs_kept"] == 0 ||
					wantMetrics["tokenize.t val_rows"] == 0 || wantMetrics["tokenize.docs dropped_tokens"] == 0 ||
					wantMetrics["dedup.u removed_near"] == 0 || wantMetrics["dedup.u removed_exact"] == 0 || wantMetrics["dedup.x references"] == 0 {
					t.Fatalf("metrics of the whole run: %v", wantMetrics)
				}
				return
			}
			for name, d := range want {
				if res.Outputs[name] != d {
					t.Errorf("output %s = %s, want %s as with one shard", name, res.Outputs[name], d)
				}
			}
			for k, v := range wantMetrics {
				if log.metrics[k] != v {
					t.Errorf("metric %s = %v, want %v", k, log.metrics[k], v)
				}
			}
			// Each of the six sharded nodes runs as an array of tasks; the
			// last task merges clean's and pii's parts, which it only
			// gathers, and the others' merges are jobs of their own.
			jobs := strings.Join(runner.jobs, "; ")
			if tc.jobs && tc.shards > 1 && (strings.Count(jobs, fmt.Sprintf("%d tasks merge=false", tc.shards)) != 6 || strings.Count(jobs, "1 tasks merge=true") != 4) {
				t.Errorf("jobs = %q, want an array of tasks per sharded node and a merge job for 4", runner.jobs)
			}
			events := strings.Join(log.events, "\n")
			if tc.jobs && tc.shards > 1 && (strings.Count(events, "merges the parts") != 2 || !strings.Contains(events, "log clean.c: task ") || !strings.Contains(events, "log pii.p: task ")) {
				t.Errorf("clean's and pii's parts not merged by a task:\n%s", events)
			}
			// One task at a time: the first runs every shard, and the others
			// find none left.
			if tc.slots == 1 && (strings.Count(events, "task 0 ran shards [0 1 2 3]") != 6 || strings.Count(events, "ran shards") != 6) {
				t.Errorf("with one task at a time, task 0 did not run every shard of every node:\n%s", events)
			}
			if ents, _ := os.ReadDir(filepath.Join(store.Dir(), "jobs")); len(ents) != 0 {
				t.Errorf("%d job directories left", len(ents))
			}
		})
	}
}

func TestShardsOnlyWhereSupported(t *testing.T) {
	_, diags := Load("p.hcl", []byte(`
dataset "d" {
  path   = "a.jsonl"
  shards = 2
}
stage "pretrain" "p" {
  data   = dataset.d
  shards = 2
  config {}
}
clean "c" {
  input  = dataset.d
  shards = 0
}
`))
	var got []string
	for _, d := range diags {
		got = append(got, d.Summary+": "+d.Detail)
	}
	s := strings.Join(got, "\n")
	for _, want := range []string{"Node type does not shard: A dataset node runs whole; shards is supported by clean, dedup, pii, tokenize.",
		"Stages do not shard", "Invalid shards: shards must be a whole number from 1 to 10000."} {
		if !strings.Contains(s, want) {
			t.Errorf("diagnostics do not say %q:\n%s", want, s)
		}
	}
}

// TestShardFailureEndsMerge breaks the input of a sharded clean, whose
// merge runs beside its tasks: the node fails, instead of its merge
// waiting for parts that never come.
func TestShardFailureEndsMerge(t *testing.T) {
	corpus := shardCorpus(t, 2*artifact.DefaultBatchRows)
	store := newStore(t)
	src := fmt.Sprintf(`
dataset "d" {
  path = %q
}
clean "c" {
  input  = dataset.d
  shards = 4
}
output "in" { value = dataset.d }
`, corpus)
	res, err := (&Engine{Store: store}).Run(context.Background(), testPipeline(t, src, store, false))
	if err != nil {
		t.Fatal(err)
	}
	shard := filepath.Join(store.Path(res.Outputs["in"]), "part-00000.arrow")
	if err := os.Truncate(shard, 100); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := &eventLog{}
	_, err = (&Engine{Store: store, Hook: log, NoCache: true}).Run(ctx, testPipeline(t, strings.Replace(src, "clean \"c\"", "clean \"c2\"", 1), store, false))
	if err == nil || ctx.Err() != nil {
		t.Fatalf("run = %v, context %v", err, ctx.Err())
	}
	// A task or the merge, whichever reads the broken input first, fails it.
	if !log.has("failed clean.c2: ") {
		t.Errorf("events:\n%s", strings.Join(log.events, "\n"))
	}
}

// TestShardFailureInJobStopsTasks fails a shard of a job whose tasks run
// one at a time: the node fails with that shard's error, and the tasks
// after it take no shards.
func TestShardFailureInJobStopsTasks(t *testing.T) {
	corpus := shardCorpus(t, 2*artifact.DefaultBatchRows)
	store := newStore(t)
	src := fmt.Sprintf(`
dataset "d" {
  path = %q
}
clean "c" {
  input  = dataset.d
  shards = 4
}
output "in" { value = dataset.d }
`, corpus)
	res, err := (&Engine{Store: store}).Run(context.Background(), testPipeline(t, src, store, false))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(store.Path(res.Outputs["in"]), "part-00000.arrow"), 100); err != nil {
		t.Fatal(err)
	}
	log := &eventLog{}
	e := &Engine{Store: store, Hook: log, NoCache: true, Executor: ExecutorSlurm,
		JobRunners: map[string]JobRunner{ExecutorSlurm: &processRunner{slots: 1}}, JobCommand: []string{"llmflow"}}
	if _, err := e.Run(context.Background(), testPipeline(t, src, store, false)); err == nil {
		t.Fatal("the run succeeded over a broken input")
	}
	if !log.has("failed clean.c: shard 0 of 4: ") {
		t.Errorf("events:\n%s", strings.Join(log.events, "\n"))
	}
	claims, _ := filepath.Glob(filepath.Join(store.Dir(), "jobs", "*", "claims", "*"))
	for i, c := range claims {
		claims[i] = filepath.Base(c)
	}
	if fmt.Sprint(claims) != "[failed shard-00000]" {
		t.Errorf("claims after the failure: %v, want only shard 0's and the failure", claims)
	}
}

// TestTaskOutOfTimeRunsOnlyOneShard runs tasks one at a time that have
// no time left beyond their first shard: each runs one, none merges, and
// the merge is a job of its own.
func TestTaskOutOfTimeRunsOnlyOneShard(t *testing.T) {
	corpus := shardCorpus(t, 2*artifact.DefaultBatchRows)
	store := newStore(t)
	src := fmt.Sprintf(`
dataset "d" {
  path = %q
}
clean "c" {
  input  = dataset.d
  shards = 3
}
`, corpus)
	log := &eventLog{}
	runner := &processRunner{slots: 1, env: []string{"LLMFLOW_TEST_NO_TIME=1"}}
	e := &Engine{Store: store, Hook: log, Executor: ExecutorSlurm, JobRunners: map[string]JobRunner{ExecutorSlurm: runner}, JobCommand: []string{"llmflow"}}
	if _, err := e.Run(context.Background(), testPipeline(t, src, store, false)); err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(log.events, "\n"))
	}
	events := strings.Join(log.events, "\n")
	if strings.Contains(events, "ran shards") || strings.Contains(events, "merges the parts") {
		t.Errorf("a task out of time took on more than its shard:\n%s", events)
	}
	if !strings.HasSuffix(fmt.Sprint(runner.jobs), "3 tasks merge=false 1 tasks merge=true]") {
		t.Errorf("jobs = %q, want the array and a merge job", runner.jobs)
	}
}

// TestUnitSpan checks the rows a part reads: the units that start in its
// range, cut from each batch's first row.
func TestUnitSpan(t *testing.T) {
	for _, tc := range []struct {
		batches        []int64
		from, to       int64
		wantLo, wantHi int64
	}{
		{[]int64{10}, 0, 10, 0, 10},
		{[]int64{10}, 1, 10, 4, 10},     // units start at 0, 4, 8
		{[]int64{10}, 0, 5, 0, 8},       // the unit at 4 runs to 8
		{[]int64{10}, 5, 8, 0, 0},       // no unit starts in [5, 8)
		{[]int64{6, 6}, 5, 7, 6, 10},    // the second batch's first unit
		{[]int64{6, 6}, 3, 13, 4, 12},   // from the first batch's second unit on
		{[]int64{6, 0, 6}, 6, 9, 6, 10}, // an empty batch
		{[]int64{}, 0, 0, 0, 0},
	} {
		lo, hi := unitSpan(tc.batches, tc.from, tc.to, 4)
		if lo != tc.wantLo || hi != tc.wantHi {
			t.Errorf("unitSpan(%v, %d, %d) = [%d, %d), want [%d, %d)", tc.batches, tc.from, tc.to, lo, hi, tc.wantLo, tc.wantHi)
		}
	}
}

// TestTurnEndsWithMerge ends a merge early, as when another task of the
// node fails, while a task writes into the merged output: the task's next
// write is refused, and the writer the merge aborts is left alone.
func TestTurnEndsWithMerge(t *testing.T) {
	dir := t.TempDir()
	schema := artifact.TextSchema()
	merged, err := artifact.NewDatasetWriter(filepath.Join(dir, "merged"), schema, artifact.WithCopyLayout())
	if err != nil {
		t.Fatal(err)
	}
	merges := &directMerges{out: map[string]*directOutput{}}
	done := newTasksDone(2)
	ctx, cancel := context.WithCancel(context.WithValue(context.WithValue(context.Background(), directMergesKey{}, merges), tasksDoneKey{}, done))
	mergeErr := make(chan error, 1)
	go func() { mergeErr <- mergeParts(ctx, dir, "data", 2, merged) }()
	part, err := partWriter(dir, "data", 0, schema)
	if err != nil {
		t.Fatal(err)
	}
	sink := &partSink{ctx: ctx, output: "data", task: 0, file: part, merges: merges}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append("d0")
	b.Field(1).(*array.StringBuilder).Append("text")
	rec := b.NewRecordBatch()
	defer rec.Release()
	for merges.lookup("data") == nil {
		time.Sleep(time.Millisecond)
	}
	if err := sink.Write(rec); err != nil || sink.into == nil {
		t.Fatalf("task 0 did not take its turn: %v", err)
	}
	cancel()
	if err := <-mergeErr; err == nil {
		t.Fatal("merge ended early without an error")
	}
	merged.Abort()
	if err := sink.Write(rec); err != errMergeEnded {
		t.Fatalf("write after the merge ended: %v, want %v", err, errMergeEnded)
	}
}

func TestShardProgressSumsTasks(t *testing.T) {
	p := newShardProgress(4)
	var got [][2]int64
	report := func(done, total int64) { got = append(got, [2]int64{done, total}) }
	p.add(0, 10, 100, report) // three tasks not yet heard of count as 100 each
	p.add(1, 5, 101, report)
	p.add(0, 8, 100, report) // a task's done never goes back
	p.add(4, 1, 1, report)   // no such task: ignored
	p.add(2, 0, 99, report)
	p.add(3, 0, 100, report)
	p.add(3, 100, 100, report)
	want := [][2]int64{{10, 400}, {15, 401}, {15, 401}, {15, 400}, {15, 400}, {115, 400}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("reports %v, want %v", got, want)
	}
	p.add(1, 6, 0, report) // a task that does not know its total: neither does the node
	if last := got[len(got)-1]; last != [2]int64{116, 0} {
		t.Errorf("with an unknown total: %v", last)
	}
}
