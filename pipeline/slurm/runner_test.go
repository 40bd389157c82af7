package slurm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmflow/llmflow/internal/testenv"
	"github.com/llmflow/llmflow/pipeline"
)

// These tests submit real jobs to the cluster that
// ../shared/slurm/start-local-slurm.sh starts; the job directories are
// temporary directories, which the single-node cluster shares.

func newJob(t *testing.T, c *testenv.Slurm, script string, ex *pipeline.Executor) (*pipeline.Job, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var logs []string
	if ex == nil {
		ex = &pipeline.Executor{Name: "test", Type: pipeline.ExecutorSlurm}
	}
	ex.Slurm.Partition = c.Partition
	return &pipeline.Job{Name: "llmflow:test." + t.Name(), Dir: t.TempDir(), Command: []string{"/bin/sh", "-c", script},
		Tasks: 1, Executor: ex, Log: func(l string) { mu.Lock(); logs = append(logs, l); mu.Unlock() }}, &logs
}

func TestRunJobSucceeds(t *testing.T) {
	c := testenv.SlurmCluster(t)
	job, logs := newJob(t, c, "echo hello from $LLMFLOW_TASK", nil)
	if err := New(WithEnv(c.Env)).RunJob(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	id := jobID(t, job.Dir)
	b, err := os.ReadFile(logPath(job.Dir, id, 1, 0))
	if err != nil || strings.TrimSpace(string(b)) != "hello from 0" {
		t.Fatalf("log = %q, %v", b, err)
	}
	if len(*logs) != 1 || !strings.Contains((*logs)[0], "submitted slurm job "+id) {
		t.Errorf("logs = %q", *logs)
	}
}

func TestRunJobFailureNamesJobStateExitCodeAndLog(t *testing.T) {
	c := testenv.SlurmCluster(t)
	job, _ := newJob(t, c, "echo the input is bad >&2; exit 3", nil)
	err := New(WithEnv(c.Env)).RunJob(context.Background(), job)
	if err == nil {
		t.Fatal("a job that exits 3 succeeded")
	}
	id := jobID(t, job.Dir)
	for _, want := range []string{"slurm job " + id + " of test.", "ended FAILED with exit code 3",
		"log " + logPath(job.Dir, id, 1, 0), "the input is bad"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestRunJobArrayRunsEveryTask(t *testing.T) {
	c := testenv.SlurmCluster(t)
	job, logs := newJob(t, c, `touch task-$LLMFLOW_TASK; [ "$LLMFLOW_TASK" != 2 ] || exit 4`, nil)
	job.Tasks = 4
	err := New(WithEnv(c.Env)).RunJob(context.Background(), job)
	if err == nil || !regexp.MustCompile(`slurm job \d+_2 \(1 of 4 array tasks failed\) of test\.\S+ ended FAILED with exit code 4`).MatchString(err.Error()) {
		t.Fatalf("error = %v", err)
	}
	for i := range 4 {
		if _, err := os.Stat(filepath.Join(job.Dir, "task-"+string(rune('0'+i)))); err != nil {
			t.Errorf("task %d did not run: %v", i, err)
		}
	}
	if !strings.Contains((*logs)[0], "job array ") {
		t.Errorf("logs = %q", *logs)
	}
}

// Once the job says its work is done, the tasks still queued are
// cancelled rather than left to start and find nothing to do.
func TestRunJobCancelsQueuedTasksWhenFinished(t *testing.T) {
	c := testenv.SlurmCluster(t)
	// One task at a time (each takes both CPUs); task 0 does the work of all.
	ex := &pipeline.Executor{Name: "test", Type: pipeline.ExecutorSlurm}
	ex.Slurm.CPUsPerTask = 2
	job, _ := newJob(t, c, `[ "$LLMFLOW_TASK" = 0 ] && touch all-done; touch ran-$LLMFLOW_TASK`, ex)
	job.Tasks = 6
	job.Finished = func() bool {
		_, err := os.Stat(filepath.Join(job.Dir, "all-done"))
		return err == nil
	}
	start := time.Now()
	err := New(WithEnv(c.Env)).RunJob(context.Background(), job)
	if err == nil || !strings.Contains(err.Error(), "array tasks failed") || !strings.Contains(err.Error(), "CANCELLED") {
		t.Errorf("error = %v, want the queued tasks reported cancelled", err)
	}
	ran, _ := filepath.Glob(filepath.Join(job.Dir, "ran-*"))
	if len(ran) >= 6 {
		t.Errorf("all %d tasks ran", len(ran))
	}
	t.Logf("%d of 6 tasks ran, in %s", len(ran), time.Since(start).Round(time.Millisecond))
}

func TestRunJobCancelledWithContext(t *testing.T) {
	c := testenv.SlurmCluster(t)
	job, _ := newJob(t, c, "touch started; sleep 120; touch finished", nil)
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		waitFile(t, filepath.Join(job.Dir, "started"))
		cancel(errors.New("interrupt"))
	}()
	start := time.Now()
	err := New(WithEnv(c.Env)).RunJob(ctx, job)
	if err == nil || !strings.Contains(err.Error(), "cancelled slurm job") || !strings.Contains(err.Error(), "interrupt") {
		t.Fatalf("error = %v", err)
	}
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("cancelling took %s", d)
	}
	if st := scontrolState(t, c, jobID(t, job.Dir)); st != "CANCELLED" {
		t.Errorf("state after cancel = %s", st)
	}
}

func TestRunJobOverMemReportsOOM(t *testing.T) {
	c := testenv.SlurmCluster(t)
	if !c.EnforcesMem {
		t.Skip("the cluster tracks processes without cgroups, so --mem is not enforced")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		testenv.SkipOrFail(t, "python3 is needed to allocate memory in a job: %v", err)
	}
	ex := &pipeline.Executor{Name: "tiny", Type: pipeline.ExecutorSlurm, Slurm: pipeline.SlurmSettings{Mem: "64M"}}
	job, _ := newJob(t, c, py+` -c "b = bytearray(400 << 20); b[::4096] = b'x' * len(b[::4096])"`, ex)
	err = New(WithEnv(c.Env)).RunJob(context.Background(), job)
	if err == nil || !strings.Contains(err.Error(), "ended OUT_OF_MEMORY") || !strings.Contains(err.Error(), `limit (64M); raise mem in executor "tiny"`) {
		t.Fatalf("error = %v", err)
	}
}

// A host killed while its job was queued leaves the job id in the job
// directory; the next run waits for that job instead of submitting again.
func TestRunJobAttachesToQueuedJob(t *testing.T) {
	c := testenv.SlurmCluster(t)
	job, logs := newJob(t, c, "sleep 1; touch finished", nil)
	script := filepath.Join(job.Dir, "job.sh")
	os.WriteFile(script, []byte(jobScript(job)), 0o700)
	cmd := exec.Command("sbatch", append(sbatchArgs(job, 1), script)...)
	cmd.Env = c.Env
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(string(out))
	os.WriteFile(filepath.Join(job.Dir, jobIDFile), []byte(id+"\n"), 0o644)
	job.Fresh = func() error { t.Error("a second job was submitted"); return nil }
	if err := New(WithEnv(c.Env)).RunJob(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(job.Dir, "finished")); err != nil {
		t.Error("RunJob returned before the job finished")
	}
	if len(*logs) != 1 || !strings.Contains((*logs)[0], "attaching to slurm job "+id) {
		t.Errorf("logs = %q", *logs)
	}
	// Once that job ended, the directory's next run submits anew.
	job.Fresh = nil
	if err := New(WithEnv(c.Env)).RunJob(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if jobID(t, job.Dir) == id {
		t.Error("a finished job was attached to again")
	}
}

func TestSbatchArgs(t *testing.T) {
	ex := &pipeline.Executor{Name: "big", Slurm: pipeline.SlurmSettings{Partition: "gpu", Account: "lab", QOS: "high",
		TimeLimit: 90*time.Minute + time.Second, CPUsPerTask: 4, Mem: "8G", ExtraArgs: []string{"--exclusive"}}}
	got := strings.Join(sbatchArgs(&pipeline.Job{Name: "llmflow:clean.web", Dir: "/s/jobs/k", Executor: ex}, 8), " ")
	want := "--parsable --job-name=llmflow:clean.web --chdir=/s/jobs/k --array=0-7 --output=/s/jobs/k/slurm-%A_%a.out " +
		"--partition=gpu --account=lab --qos=high --mem=8G --time=91 --cpus-per-task=4 --exclusive"
	if got != want {
		t.Errorf("sbatch args\n got %s\nwant %s", got, want)
	}
}

func TestParseStates(t *testing.T) {
	pending := "JobId=7 ArrayJobId=7 ArrayTaskId=0-3 JobState=PENDING ExitCode=0:0\n"
	if s := parseScontrol(pending, "7", 4); s.done || s.summary() != "1 PENDING" {
		t.Errorf("pending array: done=%v summary=%q", s.done, s.summary())
	}
	split := "JobId=8 ArrayJobId=7 ArrayTaskId=1 JobState=COMPLETED ExitCode=0:0\n" +
		"JobId=7 ArrayJobId=7 ArrayTaskId=0 JobState=FAILED ExitCode=2:0 StdOut=/x/slurm-7_0.out\n"
	if s := parseScontrol(split, "7", 2); !s.done || s.failure("7", "n", nil) == nil {
		t.Errorf("finished array: done=%v", s.done)
	}
	// An array cancelled while tasks 2 and 3 waited: their record ends
	// with them, named past the array's end (or by its range).
	for _, rest := range []string{"4294967294", "2-3"} {
		cancelled := "JobId=7 ArrayJobId=7 ArrayTaskId=" + rest + " JobState=CANCELLED ExitCode=0:0\n" +
			"JobId=9 ArrayJobId=7 ArrayTaskId=1 JobState=COMPLETED ExitCode=0:0\n" +
			"JobId=8 ArrayJobId=7 ArrayTaskId=0 JobState=COMPLETED ExitCode=0:0\n"
		s := parseScontrol(cancelled, "7", 4)
		if err := s.failure("7", "n", nil); !s.done || err == nil || !strings.Contains(err.Error(), "2 of 4 array tasks failed") {
			t.Errorf("array cancelled while queued (%s): done=%v err=%v", rest, s.done, err)
		}
	}
	if s := parseSacct("7_[2-3]|CANCELLED by 0|0:0\n7_0|COMPLETED|0:0\n7_1|COMPLETED|0:0\n", "7", 4); !s.done {
		t.Errorf("sacct of an array cancelled while queued: done=%v %v", s.done, s.tasks)
	}
	sacct := "7_0|COMPLETED|0:0\n7_1|CANCELLED by 0|0:15\n"
	s := parseSacct(sacct, "7", 2)
	if err := s.failure("7", "n", nil); !s.done || err == nil || !strings.Contains(err.Error(), "ended CANCELLED with signal 15") {
		t.Errorf("sacct: done=%v err=%v", s.done, err)
	}
}

func jobID(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, jobIDFile))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func scontrolState(t *testing.T, c *testenv.Slurm, id string) string {
	cmd := exec.Command("scontrol", "show", "job", "-o", id)
	cmd.Env = c.Env
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return fields(string(out))["JobState"]
}

func waitFile(t *testing.T, path string) {
	for range 600 {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("%s did not appear", path)
}

// flakyScontrol puts an scontrol first on PATH that fails as an
// unreachable slurmctld does for its first n calls, then runs the real one.
func flakyScontrol(t *testing.T, n int) {
	t.Helper()
	real, err := exec.LookPath("scontrol")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := fmt.Sprintf(`#!/bin/sh
n=$(cat %[1]s/calls 2>/dev/null || echo 0)
echo $((n+1)) > %[1]s/calls
if [ "$n" -lt %[2]d ]; then
  echo "slurm_load_jobs error: Unable to contact slurm controller (connect failure)" >&2
  exit 1
fi
exec %[3]s "$@"
`, dir, n, real)
	if err := os.WriteFile(filepath.Join(dir, "scontrol"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	// Commands are looked up on the process's PATH, not the job's.
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// While slurmctld cannot be reached, status queries are retried, not
// taken as the job's failure.
func TestRunJobRidesOutUnreachableController(t *testing.T) {
	c := testenv.SlurmCluster(t)
	job, logs := newJob(t, c, "sleep 1; touch finished", nil)
	flakyScontrol(t, 3)
	r := New(WithEnv(c.Env), WithPatience(time.Minute, 50*time.Millisecond))
	if err := r.RunJob(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(job.Dir, "finished")); err != nil {
		t.Error("RunJob returned before the job finished")
	}
	retries := 0
	for _, l := range *logs {
		if strings.Contains(l, "asking slurm for job") && strings.Contains(l, "Unable to contact slurm controller") {
			retries++
		}
	}
	if retries != 3 {
		t.Errorf("logged %d retries, want 3: %q", retries, *logs)
	}
}

// A controller unreachable for longer than the runner's patience fails
// the node, saying why.
func TestRunJobGivesUpOnUnreachableController(t *testing.T) {
	c := testenv.SlurmCluster(t)
	job, _ := newJob(t, c, "true", nil)
	flakyScontrol(t, 1000)
	r := New(WithEnv(c.Env), WithPatience(300*time.Millisecond, 50*time.Millisecond))
	err := r.RunJob(context.Background(), job)
	if err == nil || !strings.Contains(err.Error(), "Unable to contact slurm controller") || !strings.Contains(err.Error(), "gave up after") {
		t.Fatalf("error = %v", err)
	}
	if errors.Is(err, ErrUnknownJob) {
		t.Errorf("an unreachable controller was taken for an unknown job: %v", err)
	}
}

// A job id Slurm does not know is an error at once, not retried.
func TestStateOfUnknownJob(t *testing.T) {
	c := testenv.SlurmCluster(t)
	r := New(WithEnv(c.Env), WithPatience(time.Hour, time.Hour))
	start := time.Now()
	_, err := r.query(context.Background(), "999999999", 1, nil)
	if !errors.Is(err, ErrUnknownJob) || time.Since(start) > 30*time.Second {
		t.Fatalf("error = %v after %s, want ErrUnknownJob at once", err, time.Since(start))
	}
}
