package slurm

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/llmflow/llmflow/pipeline"
)

// terminal are the job states a job does not leave.
var terminal = map[string]bool{
	"COMPLETED": true, "FAILED": true, "CANCELLED": true, "TIMEOUT": true, "OUT_OF_MEMORY": true,
	"NODE_FAIL": true, "PREEMPTED": true, "BOOT_FAIL": true, "DEADLINE": true,
}

// taskState is one task of a job (the only one of a plain job).
type taskState struct {
	State    string
	ExitCode string // "N:SIGNAL" as Slurm prints it
	Log      string // StdOut, when scontrol tells it
}

// jobState is what Slurm says about a job's tasks.
type jobState struct {
	tasks   map[int]taskState
	pending int // array tasks not yet split out of the pending record
	// rest is the state of the tasks never split out of the pending
	// record, when it ended: the array was cancelled before they started.
	rest *taskState
	want int
	done bool
}

func newJobState(want int) *jobState { return &jobState{tasks: map[int]taskState{}, want: want} }

// finish decides whether every task ended.
func (s *jobState) finish() *jobState {
	if s.rest != nil {
		for i := range s.want {
			if _, ok := s.tasks[i]; !ok {
				s.tasks[i] = *s.rest
			}
		}
	}
	s.done = s.pending == 0 && len(s.tasks) >= s.want
	for _, t := range s.tasks {
		if !terminal[t.State] {
			s.done = false
		}
	}
	return s
}

// parseScontrol reads `scontrol show job -o ID`: one line per task, each
// a list of Key=Value fields.
func parseScontrol(out, id string, want int) *jobState {
	s := newJobState(want)
	for _, line := range strings.Split(out, "\n") {
		f := fields(line)
		if f["JobId"] == "" || (f["JobId"] != id && f["ArrayJobId"] != id) {
			continue
		}
		t := taskState{State: f["JobState"], ExitCode: f["ExitCode"], Log: f["StdOut"]}
		task := 0
		if at, ok := f["ArrayTaskId"]; ok {
			// The pending record names its tasks as a range ("2-7%2"), or as
			// a number past the array's end once it was cancelled.
			n, err := strconv.Atoi(at)
			if err != nil || n >= want {
				s.addPendingRecord(t)
				continue
			}
			task = n
		}
		s.tasks[task] = t
	}
	return s.finish()
}

// parseSacct reads `sacct -n -P -X -j ID -o JobID,State,ExitCode`.
func parseSacct(out, id string, want int) *jobState {
	s := newJobState(want)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		parts := strings.Split(line, "|")
		if len(parts) != 3 {
			continue
		}
		jid, state, code := parts[0], strings.Fields(parts[1]), parts[2]
		if len(state) == 0 {
			continue
		}
		t := taskState{State: state[0], ExitCode: code} // "CANCELLED by 0" -> CANCELLED
		task := 0
		if base, at, ok := strings.Cut(jid, "_"); ok && base == id {
			n, err := strconv.Atoi(at)
			if err != nil { // "42_[0-7]": the pending record
				s.addPendingRecord(t)
				continue
			}
			task = n
		} else if jid != id {
			continue
		}
		s.tasks[task] = t
	}
	return s.finish()
}

// addPendingRecord counts the record of an array's tasks not yet
// started: pending, or ended with them if it ended.
func (s *jobState) addPendingRecord(t taskState) {
	if terminal[t.State] {
		s.rest = &t
		return
	}
	s.pending++
}

func fields(line string) map[string]string {
	f := map[string]string{}
	for _, kv := range strings.Fields(line) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			f[k] = v
		}
	}
	return f
}

// summary says where the job is, such as "RUNNING" or "3 RUNNING, 5 PENDING".
func (s *jobState) summary() string {
	count := map[string]int{}
	for _, t := range s.tasks {
		count[t.State]++
	}
	count["PENDING"] += s.pending
	var parts []string
	for _, st := range sortedStates(count) {
		if s.want == 1 {
			return st
		}
		parts = append(parts, fmt.Sprintf("%d %s", count[st], st))
	}
	return strings.Join(parts, ", ")
}

func sortedStates(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// failure describes the first task that did not complete with exit code
// 0, or returns nil when all did.
func (s *jobState) failure(id, node string, ex *pipeline.Executor) error {
	var failed []int
	for i, t := range s.tasks {
		if t.State != "COMPLETED" || !exitedZero(t.ExitCode) {
			failed = append(failed, i)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	sort.Ints(failed)
	t := s.tasks[failed[0]]
	what := "slurm job " + id
	if s.want > 1 {
		what = fmt.Sprintf("slurm job %s_%d (%d of %d array tasks failed)", id, failed[0], len(failed), s.want)
	}
	msg := fmt.Sprintf("%s of %s ended %s with %s", what, node, t.State, describeExit(t.ExitCode))
	if t.State == "OUT_OF_MEMORY" && ex != nil {
		limit := ex.Slurm.Mem
		if limit == "" {
			limit = "the partition's default"
		}
		msg += fmt.Sprintf(": it used more memory than its limit (%s); raise mem in executor %q", limit, ex.Name)
	}
	log := t.Log
	if log == "" || log == "(null)" {
		log = "(see sbatch --output)"
	}
	msg += "; log " + log
	if tail := logTail(t.Log, 3); tail != "" {
		msg += ", ending:\n" + tail
	}
	return fmt.Errorf("%s", msg)
}

func exitedZero(code string) bool { return code == "" || code == "0:0" }

// describeExit renders "N:S" as "exit code N" or "signal S".
func describeExit(code string) string {
	n, sig, _ := strings.Cut(code, ":")
	if sig != "" && sig != "0" {
		return "signal " + sig
	}
	if n == "" {
		return "no exit code"
	}
	return "exit code " + n
}

// logTail returns the last n non-empty lines of a job log.
func logTail(path string, n int) string {
	if path == "" {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b := make([]byte, 8<<10)
	off := int64(0)
	if st, err := f.Stat(); err == nil && st.Size() > int64(len(b)) {
		off = st.Size() - int64(len(b))
	}
	k, _ := f.ReadAt(b, off)
	b = b[:k]
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimRight(l, "\r "); l != "" {
			lines = append(lines, "  "+l)
		}
	}
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
