package slurm

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// TimeLeft returns, inside a Slurm job, a function that asks Slurm how
// long the job has left before its time limit stops it, and false when
// Slurm does not say; outside a job it returns nil.
func TimeLeft(ctx context.Context) func() (time.Duration, bool) {
	id := os.Getenv("SLURM_JOB_ID")
	if id == "" {
		return nil
	}
	return func() (time.Duration, bool) {
		out, err := exec.CommandContext(ctx, "squeue", "--noheader", "--jobs="+id, "--format=%L").Output()
		if err != nil {
			return 0, false
		}
		return parseTimeLeft(strings.TrimSpace(string(out)))
	}
}

// parseTimeLeft reads squeue's %L: [days-][hours:]minutes:seconds, or
// UNLIMITED.
func parseTimeLeft(s string) (time.Duration, bool) {
	if s == "UNLIMITED" {
		return time.Duration(1<<63 - 1), true
	}
	var days int64
	if d, rest, ok := strings.Cut(s, "-"); ok {
		n, err := strconv.ParseInt(d, 10, 32)
		if err != nil || n < 0 {
			return 0, false
		}
		days, s = n, rest
	}
	fields := strings.Split(s, ":")
	if len(fields) < 2 || len(fields) > 3 {
		return 0, false
	}
	var secs int64
	for _, f := range fields {
		n, err := strconv.ParseInt(f, 10, 32)
		if err != nil || n < 0 {
			return 0, false
		}
		secs = secs*60 + n
	}
	return time.Duration(days*86400+secs) * time.Second, true
}
