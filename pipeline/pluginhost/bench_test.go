package pluginhost

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// BenchmarkNodeOverhead measures what the plugin boundary costs one node:
// spawn, handshake with mTLS, describe, run of the no-op echo stage, close.
// "testbin" serves echo from the small test plugin; "llmflow" re-executes
// the real llmflow binary as `llmflow plugin serve echo`, as a pipeline does.
func BenchmarkNodeOverhead(b *testing.B) {
	b.Run("testbin", func(b *testing.B) { benchNode(b, testHost(b)) })
	b.Run("llmflow", func(b *testing.B) {
		bin := filepath.Join(b.TempDir(), "llmflow")
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if out, err := exec.Command(goBin, "build", "-o", bin, "../../cmd/llmflow").CombinedOutput(); err != nil {
			b.Skipf("cannot build llmflow: %v\n%s", err, out)
		}
		benchNode(b, New(WithBuiltinCommand(bin, "plugin", "serve")))
	})
}

func benchNode(b *testing.B, h *Host) {
	ctx := context.Background()
	out := b.TempDir()
	cfg := echoConfig("x", 0)
	b.ResetTimer()
	start := time.Now()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		c, err := h.Open(ctx, PluginSpec{Name: "echo"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Run(ctx, RunRequest{Config: cfg, OutputDir: out}, nil); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/node")
	// CPU time of host and plugin processes together: on a shared machine
	// the wall time mostly measures the queue for a core.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/node")
	_ = os.RemoveAll(out)
}

// cpuTime is the user+system time of this process and its reaped children.
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
}
