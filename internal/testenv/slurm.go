package testenv

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Slurm is a running Slurm cluster for tests: the environment its client
// commands need and what its start script reported.
type Slurm struct {
	Env       []string // os.Environ() plus SLURM_CONF and the LLMFLOW_SLURM_ values
	Partition string
	// EnforcesMem is set when jobs over their --mem are killed (cgroup
	// process tracking), not only scheduled by it.
	EnforcesMem bool
}

// SlurmCluster returns the cluster that ../shared/slurm/start-local-slurm.sh
// started (.ci/run starts it): its exports are taken from the environment
// when SLURM_CONF is set, else from $LLMFLOW_SLURM_DIR/env.sh (default
// /var/tmp/llmflow-slurm). When no cluster answers `scontrol ping` it skips
// tb, or fails it when CI=true.
func SlurmCluster(tb testing.TB) *Slurm {
	tb.Helper()
	vals := map[string]string{}
	for _, k := range []string{"SLURM_CONF", "LLMFLOW_SLURM_PARTITION", "LLMFLOW_SLURM_PROCTRACK"} {
		if v := os.Getenv(k); v != "" {
			vals[k] = v
		}
	}
	if vals["SLURM_CONF"] == "" {
		dir := os.Getenv("LLMFLOW_SLURM_DIR")
		if dir == "" {
			dir = "/var/tmp/llmflow-slurm"
		}
		readExports(filepath.Join(dir, "env.sh"), vals)
	}
	if vals["SLURM_CONF"] == "" {
		SkipOrFail(tb, "no Slurm cluster: SLURM_CONF is unset and no env.sh was found; start one with eval \"$(../shared/slurm/start-local-slurm.sh)\"")
		return nil
	}
	s := &Slurm{Env: os.Environ(), Partition: vals["LLMFLOW_SLURM_PARTITION"], EnforcesMem: vals["LLMFLOW_SLURM_PROCTRACK"] == "cgroup"}
	for k, v := range vals {
		s.Env = append(s.Env, k+"="+v)
	}
	cmd := exec.Command("scontrol", "ping")
	cmd.Env = s.Env
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "UP") {
		SkipOrFail(tb, "the Slurm cluster of %s does not answer scontrol ping (%v): %s", vals["SLURM_CONF"], err, out)
		return nil
	}
	return s
}

// readExports adds the `export K=V` lines of a file to vals.
func readExports(path string, vals map[string]string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if kv, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "export "); ok {
			if k, v, ok := strings.Cut(kv, "="); ok {
				vals[k] = strings.Trim(v, `'"`)
			}
		}
	}
}
