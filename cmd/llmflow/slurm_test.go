package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/llmflow/llmflow/internal/testenv"
	"github.com/llmflow/llmflow/pipeline/pluginhost"
)

// These tests run pipelines on the real single-node Slurm cluster that
// .ci/run starts (../shared/slurm/start-local-slurm.sh); temporary
// directories are the filesystem the host and the cluster share.

// slurmRun runs llmflow with the cluster's environment.
func slurmRun(t testing.TB, c *testenv.Slurm, dir string, args ...string) result {
	t.Helper()
	cmd := slurmCommand(c, dir, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

func slurmCommand(c *testenv.Slurm, dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(c.Env, "NO_COLOR=1")
	return cmd
}

var outputLine = regexp.MustCompile(`(?m)^output \S+ = sha256:[0-9a-f]{64}$`)

func TestSlurmQuickstartMatchesLocal(t *testing.T) {
	c := testenv.SlurmCluster(t)
	local, remote := quickstart(t), quickstart(t)
	lr := llmflow(t, local, "run", "pipeline.hcl")
	sr := slurmRun(t, c, remote, "run", "--executor", "slurm", "pipeline.hcl")
	if lr.code != 0 || sr.code != 0 {
		t.Fatalf("local exit %d, slurm exit %d\n%s\n%s", lr.code, sr.code, lr.stderr, sr.stdout+sr.stderr)
	}
	lo, so := outputLine.FindAllString(lr.stdout, -1), outputLine.FindAllString(sr.stdout, -1)
	if len(lo) < 5 || strings.Join(lo, "\n") != strings.Join(so, "\n") {
		t.Fatalf("outputs differ\nlocal:\n%s\nslurm:\n%s", strings.Join(lo, "\n"), strings.Join(so, "\n"))
	}
	if n := strings.Count(sr.stdout, "submitted slurm job"); n != 9 {
		t.Errorf("%d jobs submitted, want one per node (9):\n%s", n, sr.stdout)
	}
	// One run record, written by the host, with every node's metrics.
	runs := slurmRun(t, c, remote, "runs", "list", "--json")
	if strings.Count(runs.stdout, `"status": "succeeded"`) != 1 || !strings.Contains(runs.stdout, `"succeeded": 9`) {
		t.Errorf("runs:\n%s%s", runs.stdout, runs.stderr)
	}
	// Jobs clean up after themselves once their node is recorded.
	if ents, _ := os.ReadDir(filepath.Join(remote, ".llmflow", "store", "jobs")); len(ents) != 0 {
		t.Errorf("%d job directories left in the store", len(ents))
	}
	// Cached nodes do not go to the cluster again.
	again := slurmRun(t, c, remote, "run", "--executor", "slurm", "pipeline.hcl")
	if again.code != 0 || strings.Contains(again.stdout, "submitted") {
		t.Errorf("second run submitted jobs or failed:\n%s%s", again.stdout, again.stderr)
	}
}

func TestSlurmScancelFailsOnlyItsNode(t *testing.T) {
	c := testenv.SlurmCluster(t)
	dir := quickstart(t)
	cmd := slurmCommand(c, dir, "run", "--executor", "slurm", "pipeline.hcl")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	id := waitJobOf(t, filepath.Join(dir, ".llmflow", "store"), "stage.tiny", "progress")
	cancel := exec.Command("scancel", id)
	cancel.Env = c.Env
	if b, err := cancel.CombinedOutput(); err != nil {
		t.Fatalf("scancel: %v: %s", err, b)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
		t.Fatalf("run did not fail: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		"stage.tiny: failed: ", "slurm job " + id + " of stage.tiny ended CANCELLED",
		"stage.report: skipped (stage.tiny failed)", "tokenize.web: finished", "dataset.notes: finished",
		"Error: nodes failed: stage.tiny\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output does not say %q:\n%s", want, s)
		}
	}
}

func TestSlurmNodeOverMemFailsWithOOM(t *testing.T) {
	c := testenv.SlurmCluster(t)
	if !c.EnforcesMem {
		t.Skip("the cluster tracks processes without cgroups, so mem is not enforced")
	}
	dir := t.TempDir()
	var big strings.Builder
	for i := range 4 {
		fmt.Fprintf(&big, "{\"text\": %q}\n", strings.Repeat(fmt.Sprintf("word%d ", i), 3_000_000))
	}
	os.WriteFile(filepath.Join(dir, "big.jsonl"), []byte(big.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "pipeline.hcl"), []byte(`
executor "tiny" {
  mem = "40M"
}
dataset "big" {
  path = "big.jsonl"
}
dataset "small" {
  path = "small.txt"
  format = "text"
}
clean "big" {
  input    = dataset.big
  executor = executor.tiny
}
`), 0o644)
	os.WriteFile(filepath.Join(dir, "small.txt"), []byte("one line of text that is long enough\n"), 0o644)
	r := slurmRun(t, c, dir, "run", "pipeline.hcl")
	if r.code == 0 {
		t.Fatalf("run succeeded:\n%s", r.stdout)
	}
	for _, want := range []string{`of clean.big ended OUT_OF_MEMORY`, `limit (40M); raise mem in executor "tiny"`,
		"dataset.small: finished", "Error: nodes failed: clean.big\n"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("output does not say %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
}

// A host killed while its jobs wait in the queue leaves them queued; the
// next run attaches to them instead of running the nodes twice.
func TestSlurmResumeAfterHostKilledWhileQueued(t *testing.T) {
	c := testenv.SlurmCluster(t)
	dir := quickstart(t)
	src, _ := os.ReadFile(filepath.Join(dir, "pipeline.hcl"))
	// --hold keeps dataset.web's job queued until the test releases it.
	src = bytes.Replace(src, []byte(`dataset "web" {`), []byte(`executor "held" {
  extra_args = ["--hold"]
}

executor "cluster" {
  default = true
}

dataset "web" {
  executor   = executor.held`), 1)
	os.WriteFile(filepath.Join(dir, "pipeline.hcl"), src, 0o644)
	store := filepath.Join(dir, ".llmflow", "store")

	first := slurmCommand(c, dir, "run", "pipeline.hcl")
	var out1 bytes.Buffer
	first.Stdout, first.Stderr = &out1, &out1
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	id := waitJobOf(t, store, "dataset.web", "")
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()

	second := slurmCommand(c, dir, "run", "pipeline.hcl")
	var out2 lockedBuffer
	second.Stdout, second.Stderr = &out2, &out2
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Contains(out2.String(), "attaching to slurm job "+id) }, "the resumed run to attach:\n"+out2.String())
	release := exec.Command("scontrol", "release", id)
	release.Env = c.Env
	if b, err := release.CombinedOutput(); err != nil {
		t.Fatalf("scontrol release: %v: %s", err, b)
	}
	if err := second.Wait(); err != nil {
		t.Fatalf("resumed run: %v\n%s", err, out2.String())
	}
	if n := strings.Count(out2.String(), "dataset.web: submitted"); n != 0 {
		t.Errorf("dataset.web submitted again:\n%s", out2.String())
	}
	runs := slurmRun(t, c, dir, "runs", "list", "--json")
	if !strings.Contains(runs.stdout, `"status": "interrupted"`) || !strings.Contains(runs.stdout, `"status": "succeeded"`) {
		t.Errorf("runs:\n%s", runs.stdout)
	}
}

// waitJobOf waits until node's job in the store was submitted (and, with
// event, until its events file holds that event) and returns its job id.
func waitJobOf(t *testing.T, store, node, event string) string {
	t.Helper()
	var id string
	waitFor(t, func() bool {
		dirs, _ := filepath.Glob(filepath.Join(store, "jobs", "*"))
		for _, d := range dirs {
			b, err := os.ReadFile(filepath.Join(d, "spec.json"))
			var spec struct{ Node string }
			if err != nil || json.Unmarshal(b, &spec) != nil || spec.Node != node {
				continue
			}
			jid, err := os.ReadFile(filepath.Join(d, "slurm.jobid"))
			if err != nil {
				return false
			}
			if event != "" {
				ev, _ := os.ReadFile(filepath.Join(d, "events.jsonl"))
				if !bytes.Contains(ev, []byte(`"t":"`+event+`"`)) {
					return false
				}
			}
			id = strings.TrimSpace(string(jid))
			return true
		}
		return false
	}, "the job of "+node)
	return id
}

// lockedBuffer is a buffer a test reads while a process writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSlurmShardedCleanRunsAsJobArray(t *testing.T) {
	c := testenv.SlurmCluster(t)
	dir := t.TempDir()
	var corpus strings.Builder
	for i := range 30000 { // four input batches
		fmt.Fprintf(&corpus, "{\"text\": \"Document %d tells of rivers, bread and the number %d in plain words.\"}\n", i, i*7919%10007)
	}
	os.WriteFile(filepath.Join(dir, "corpus.jsonl"), []byte(corpus.String()), 0o644)
	pipeline := func(shards int) []byte {
		return []byte(fmt.Sprintf(`
dataset "d" {
  path = "corpus.jsonl"
}
clean "c" {
  input     = dataset.d
  min_words = 5
  shards    = %d
}
output "data" { value = clean.c }
`, shards))
	}
	os.WriteFile(filepath.Join(dir, "pipeline.hcl"), pipeline(1), 0o644)
	whole := llmflow(t, dir, "run", "pipeline.hcl")
	os.WriteFile(filepath.Join(dir, "pipeline.hcl"), pipeline(8), 0o644)
	sharded := slurmRun(t, c, dir, "run", "--no-cache", "--executor", "slurm", "pipeline.hcl")
	if whole.code != 0 || sharded.code != 0 {
		t.Fatalf("whole exit %d, sharded exit %d:\n%s%s", whole.code, sharded.code, sharded.stdout, sharded.stderr)
	}
	if !regexp.MustCompile(`clean\.c: submitted slurm job array \d+ of 8 tasks`).MatchString(sharded.stdout) {
		t.Errorf("no job array of 8 tasks:\n%s", sharded.stdout)
	}
	// The task that ends the last shard merges: no merge job waits in the queue.
	if regexp.MustCompile(`clean\.c: submitted slurm job \d+;`).MatchString(sharded.stdout) || !regexp.MustCompile(`clean\.c: task \d merges the parts`).MatchString(sharded.stdout) {
		t.Errorf("the parts were not merged by a task:\n%s", sharded.stdout)
	}
	if w, s := outputLine.FindString(whole.stdout), outputLine.FindString(sharded.stdout); w == "" || w != s {
		t.Errorf("whole %q, sharded %q", w, s)
	}
}

// TestSlurmRelativePluginSource runs a stage whose plugin block names its
// binary relative to the pipeline, as examples/custom-plugin does: the job
// starts in its job directory and must still find that binary, and gives
// the artifacts the host gives.
func TestSlurmRelativePluginSource(t *testing.T) {
	c := testenv.SlurmCluster(t)
	src := filepath.Join("..", "..", "examples", "custom-plugin")
	local := copyFiles(t, src, "pipeline.hcl", "data/corpus.txt")
	remote := copyFiles(t, src, "pipeline.hcl", "data/corpus.txt")
	bin := buildExample(t, src, filepath.Join(local, "bin", "shuffle-split"), "0.1.0")
	sum, err := pluginhost.FileChecksum(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{local, remote} {
		if dir == remote {
			os.MkdirAll(filepath.Join(remote, "bin"), 0o755)
			b, _ := os.ReadFile(bin)
			os.WriteFile(filepath.Join(remote, "bin", "shuffle-split"), b, 0o755)
		}
		p := filepath.Join(dir, "pipeline.hcl")
		text, _ := os.ReadFile(p)
		os.WriteFile(p, regexp.MustCompile(`sha256:[0-9a-f]{64}`).ReplaceAll(text, []byte(sum)), 0o644)
	}
	lr := llmflow(t, local, "run", "pipeline.hcl")
	sr := slurmRun(t, c, remote, "run", "--executor", "slurm", "pipeline.hcl")
	if lr.code != 0 || sr.code != 0 {
		t.Fatalf("local exit %d, slurm exit %d\n%s\n%s", lr.code, sr.code, lr.stderr, sr.stdout+sr.stderr)
	}
	want, got := outputLine.FindAllString(lr.stdout, -1), outputLine.FindAllString(sr.stdout, -1)
	if len(want) != 2 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outputs on slurm:\n%s\nlocally:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSlurmGCJobDirectories leaves three job directories in the store: a
// failed node's, one whose Slurm job is still running, and one of a job
// no run recorded. gc removes only the last; the failed node's goes once
// the run database in use does not record its run.
func TestSlurmGCJobDirectories(t *testing.T) {
	c := testenv.SlurmCluster(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.jsonl"), []byte("{not json\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "pipeline.hcl"), []byte(`
dataset "bad" {
  path = "bad.jsonl"
}
`), 0o644)
	if r := slurmRun(t, c, dir, "run", "--executor", "slurm", "pipeline.hcl"); r.code == 0 {
		t.Fatalf("a dataset of a broken file succeeded:\n%s", r.stdout)
	}
	jobs := filepath.Join(dir, ".llmflow", "store", "jobs")
	failed, _ := filepath.Glob(filepath.Join(jobs, "*"))
	if len(failed) != 1 {
		t.Fatalf("job directories after the failed run: %v", failed)
	}
	left := filepath.Join(jobs, strings.Repeat("a", 64))
	running := filepath.Join(jobs, strings.Repeat("b", 64))
	os.MkdirAll(left, 0o755)
	os.WriteFile(filepath.Join(left, "result.json"), []byte("{}\n"), 0o644)
	os.MkdirAll(running, 0o755)
	sb := exec.Command("sbatch", "--parsable", "--partition="+c.Partition, "--output=/dev/null", "--wrap", "sleep 120")
	sb.Env = c.Env
	out, err := sb.Output()
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(string(out))
	defer func() {
		cancel := exec.Command("scancel", id)
		cancel.Env = c.Env
		cancel.Run()
	}()
	os.WriteFile(filepath.Join(running, "slurm.jobid"), []byte(id+"\n"), 0o644)

	res := slurmRun(t, c, dir, "gc")
	if res.code != 0 || !strings.Contains(unpad(res.stdout), "removed  job directory") {
		t.Fatalf("gc: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for path, want := range map[string]bool{failed[0]: true, running: true, left: false} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s present = %v after gc, want %v", path, err == nil, want)
		}
	}
	// Another run database records no run of the failed node.
	os.WriteFile(filepath.Join(dir, "ok.jsonl"), []byte("{\"text\": \"a line\"}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "ok.hcl"), []byte("dataset \"ok\" {\n  path = \"ok.jsonl\"\n}\n"), 0o644)
	if r := slurmRun(t, c, dir, "run", "--db", "other.db", "ok.hcl"); r.code != 0 {
		t.Fatalf("run: %s", r.stderr)
	}
	if r := slurmRun(t, c, dir, "gc", "--db", "other.db"); r.code != 0 {
		t.Fatalf("gc --db other.db: %s", r.stderr)
	}
	if _, err := os.Stat(failed[0]); err == nil {
		t.Error("the failed node's job directory outlived every record of its run")
	}
	if _, err := os.Stat(running); err != nil {
		t.Error("gc removed the directory of a job still running")
	}
}
