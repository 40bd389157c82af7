package dedup

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the user+system CPU time of the process so far. On a
// shared machine wall time drifts with other load; CPU time per byte does
// much less, so benchmarks report both.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports MB/s and docs/s of wall time, and MB per CPU-second.
func reportRates(b *testing.B, bytes, docs int64, cpu0 time.Duration) {
	s := b.Elapsed().Seconds()
	n := float64(b.N)
	b.ReportMetric(float64(bytes)*n/s/1e6, "MB/s")
	b.ReportMetric(float64(docs)*n/s, "docs/s")
	if c := (cpuTime() - cpu0).Seconds(); c > 0 {
		b.ReportMetric(float64(bytes)*n/c/1e6, "MB/cpu-s")
	}
}
