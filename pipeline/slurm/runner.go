package slurm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/llmflow/llmflow/pipeline"
)

// jobIDFile keeps the id of the job submitted for a job directory.
const jobIDFile = "slurm.jobid"

// Runner submits jobs with sbatch and waits for them. It implements
// pipeline.JobRunner and is safe for concurrent use.
type Runner struct {
	env      []string // nil: the process environment
	poll     time.Duration
	patience time.Duration
	backoff  time.Duration // first wait after a failed status query
}

// ErrUnknownJob is the error of a status query for a job that Slurm says
// does not exist: scontrol has no such job and accounting has no record.
var ErrUnknownJob = errors.New("slurm has no such job")

// Option configures a Runner.
type Option func(*Runner)

// WithEnv sets the environment of the Slurm commands (SLURM_CONF, PATH).
func WithEnv(env []string) Option { return func(r *Runner) { r.env = env } }

// WithPoll sets how often a job's state is asked for.
func WithPoll(d time.Duration) Option { return func(r *Runner) { r.poll = d } }

// WithPatience sets how long status queries may fail, other than for an
// unknown job, before the job's node fails, and the first wait between
// them; the waits double up to 30 seconds.
func WithPatience(patience, backoff time.Duration) Option {
	return func(r *Runner) { r.patience, r.backoff = patience, backoff }
}

// New returns a Runner.
func New(opts ...Option) *Runner {
	// slurmctld starts batch jobs on a one-second tick, so polling faster
	// than this adds load and saves little.
	// A restart of slurmctld takes seconds to a minute; five minutes rides
	// out a failover without hiding a controller that is gone.
	r := &Runner{poll: 100 * time.Millisecond, patience: 5 * time.Minute, backoff: time.Second}
	for _, o := range opts {
		o(r)
	}
	return r
}

// RunJob implements pipeline.JobRunner.
func (r *Runner) RunJob(ctx context.Context, job *pipeline.Job) error {
	tasks := max(job.Tasks, 1)
	id, err := r.attach(ctx, job)
	if err != nil {
		return err
	}
	if id == "" {
		if id, err = r.submit(ctx, job, tasks); err != nil {
			return err
		}
	}
	st, err := r.wait(ctx, id, tasks, job.Log, job.Finished)
	if ctx.Err() != nil {
		return r.cancel(ctx, id, tasks, job.Log)
	}
	if err != nil {
		return fmt.Errorf("slurm job %s of %s: %w", id, nodeName(job), err)
	}
	return st.failure(id, nodeName(job), job.Executor)
}

// attach returns the id of a job submitted earlier for job.Dir that is
// still queued or running, or "".
func (r *Runner) attach(ctx context.Context, job *pipeline.Job) (string, error) {
	b, err := os.ReadFile(filepath.Join(job.Dir, jobIDFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(b))
	st, err := r.query(ctx, id, max(job.Tasks, 1), job.Log)
	switch {
	case errors.Is(err, ErrUnknownJob):
		return "", nil
	case err != nil:
		// Submitting again could run the node twice at once.
		return "", fmt.Errorf("slurm job %s, submitted by an earlier run: %w", id, err)
	case st.done:
		return "", nil
	}
	if job.Log != nil {
		job.Log(fmt.Sprintf("attaching to slurm job %s, submitted by an earlier run and still %s", id, st.summary()))
	}
	return id, nil
}

// Active implements pipeline.JobWatcher: it reports whether the job whose
// id dir keeps is known to Slurm and has a task that has not ended. It
// asks once, without the patience of a running node, and is safe for
// concurrent use.
func (r *Runner) Active(ctx context.Context, dir string) (bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, jobIDFile))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	st, err := r.state(ctx, strings.TrimSpace(string(b)), 1)
	if errors.Is(err, ErrUnknownJob) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !st.done, nil
}

func (r *Runner) submit(ctx context.Context, job *pipeline.Job, tasks int) (string, error) {
	if job.Fresh != nil {
		if err := job.Fresh(); err != nil {
			return "", err
		}
	}
	script := filepath.Join(job.Dir, "job.sh")
	if err := os.WriteFile(script, []byte(jobScript(job)), 0o700); err != nil {
		return "", err
	}
	args := sbatchArgs(job, tasks)
	cmd := r.command(ctx, "sbatch", append(args, script)...)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("sbatch %s: %w", strings.Join(args, " "), commandError(err))
	}
	// --parsable prints "id" or "id;cluster".
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", fmt.Errorf("sbatch printed %q where a job id was expected", strings.TrimSpace(string(out)))
	}
	if err := os.WriteFile(filepath.Join(job.Dir, jobIDFile), []byte(id+"\n"), 0o644); err != nil {
		return "", err
	}
	if job.Log != nil {
		what := "job " + id
		if tasks > 1 {
			what = fmt.Sprintf("job array %s of %d tasks", id, tasks)
		}
		job.Log(fmt.Sprintf("submitted slurm %s; log %s", what, logPath(job.Dir, id, tasks, 0)))
	}
	return id, nil
}

// jobScript runs the job's command with the task index of an array task.
func jobScript(job *pipeline.Job) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n# Submitted by llmflow for " + nodeName(job) + ".\n")
	fmt.Fprintf(&b, "%s=${SLURM_ARRAY_TASK_ID:-0}; export %s\n", pipeline.TaskEnv, pipeline.TaskEnv)
	b.WriteString("exec")
	for _, a := range job.Command {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString("\n")
	return b.String()
}

func sbatchArgs(job *pipeline.Job, tasks int) []string {
	args := []string{"--parsable", "--job-name=" + job.Name, "--chdir=" + job.Dir}
	if tasks > 1 {
		args = append(args, fmt.Sprintf("--array=0-%d", tasks-1), "--output="+filepath.Join(job.Dir, "slurm-%A_%a.out"))
	} else {
		args = append(args, "--output="+filepath.Join(job.Dir, "slurm-%j.out"))
	}
	if job.Executor == nil {
		return args
	}
	s := job.Executor.Slurm
	opt := func(name, v string) {
		if v != "" {
			args = append(args, "--"+name+"="+v)
		}
	}
	opt("partition", s.Partition)
	opt("account", s.Account)
	opt("qos", s.QOS)
	opt("mem", s.Mem)
	if s.TimeLimit > 0 {
		// sbatch takes whole minutes; rounding up never cuts a job short.
		opt("time", strconv.FormatInt(int64((s.TimeLimit+time.Minute-1)/time.Minute), 10))
	}
	if s.CPUsPerTask > 0 {
		opt("cpus-per-task", strconv.Itoa(s.CPUsPerTask))
	}
	return append(args, s.ExtraArgs...)
}

// cancel stops the job and waits until Slurm says it ended, so the node's
// lock is not released while its job still writes to the store.
func (r *Runner) cancel(ctx context.Context, id string, tasks int, log func(string)) error {
	cause := context.Cause(ctx)
	bg, stop := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
	defer stop()
	if out, err := r.command(bg, "scancel", id).CombinedOutput(); err != nil {
		return fmt.Errorf("scancel %s: %v: %s (interrupted: %w)", id, err, strings.TrimSpace(string(out)), cause)
	}
	if _, err := r.wait(bg, id, tasks, log, nil); err != nil {
		return fmt.Errorf("slurm job %s was cancelled but did not end: %v (interrupted: %w)", id, err, cause)
	}
	return fmt.Errorf("cancelled slurm job %s: %w", id, cause)
}

// wait polls until every task of the job ended or ctx ends. Once
// finished says the work is done, it cancels the tasks still queued:
// each would wait for the scheduler only to find nothing left to do.
func (r *Runner) wait(ctx context.Context, id string, tasks int, log func(string), finished func() bool) (*jobState, error) {
	tick := time.NewTicker(r.poll)
	defer tick.Stop()
	for {
		st, err := r.query(ctx, id, tasks, log)
		if err != nil || st.done {
			return st, err
		}
		if finished != nil && finished() {
			finished = nil
			if out, err := r.command(ctx, "scancel", "--state=PENDING", id).CombinedOutput(); err != nil && log != nil {
				log(fmt.Sprintf("cancelling the tasks of slurm job %s still queued: %v: %s", id, err, strings.TrimSpace(string(out))))
			}
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-tick.C:
		}
	}
}

// query asks for the job's state until Slurm answers or says the job does
// not exist (ErrUnknownJob), backing off while it cannot be asked, for as
// long as the runner's patience.
func (r *Runner) query(ctx context.Context, id string, tasks int, log func(string)) (*jobState, error) {
	start, wait := time.Now(), r.backoff
	for {
		st, err := r.state(ctx, id, tasks)
		if err == nil || errors.Is(err, ErrUnknownJob) || ctx.Err() != nil {
			return st, err
		}
		if time.Since(start)+wait > r.patience {
			return nil, fmt.Errorf("%w; gave up after %s", err, time.Since(start).Round(time.Second))
		}
		if log != nil {
			log(fmt.Sprintf("asking slurm for job %s failed, asking again in %s: %v", id, wait, err))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// state asks scontrol for the job's tasks, and sacct when scontrol no
// longer knows the job (it forgets finished jobs after MinJobAge). An
// error is ErrUnknownJob only when both say the job does not exist;
// anything else (slurmctld or slurmdbd unreachable) may pass.
func (r *Runner) state(ctx context.Context, id string, tasks int) (*jobState, error) {
	out, err := r.command(ctx, "scontrol", "show", "job", "-o", id).Output()
	if err == nil {
		return parseScontrol(string(out), id, tasks), nil
	}
	sout, serr := r.command(ctx, "sacct", "-n", "-P", "-X", "-j", id, "-o", "JobID,State,ExitCode").Output()
	if serr == nil && strings.TrimSpace(string(sout)) != "" {
		return parseSacct(string(sout), id, tasks), nil
	}
	if says(err, "Invalid job id") && (serr == nil || says(serr, "accounting storage is disabled")) {
		return nil, fmt.Errorf("%w: %s (scontrol: %v)", ErrUnknownJob, id, commandError(err))
	}
	return nil, fmt.Errorf("neither scontrol nor sacct answered for job %s: scontrol: %v; sacct: %v", id, commandError(err), commandError(serr))
}

// says reports whether a failed command printed msg on stderr.
func says(err error, msg string) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && strings.Contains(string(ee.Stderr), msg)
}

func (r *Runner) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = r.env
	return cmd
}

// commandError adds what a failed command printed on stderr.
func commandError(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}

func nodeName(job *pipeline.Job) string { return strings.TrimPrefix(job.Name, "llmflow:") }

// logPath is where sbatch writes a task's output (see sbatchArgs).
func logPath(dir, id string, tasks, task int) string {
	if tasks > 1 {
		return filepath.Join(dir, fmt.Sprintf("slurm-%s_%d.out", id, task))
	}
	return filepath.Join(dir, "slurm-"+id+".out")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
