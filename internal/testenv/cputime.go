package testenv

import (
	"syscall"
	"testing"
	"time"
)

// CPUTime returns the user+system CPU time of this process so far, or 0 if
// it cannot be read. On a shared machine wall time drifts with other load;
// CPU time per unit of work does much less, so benchmarks report both.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ReportRates reports MB/s and docs/s of wall time, and MB per CPU-second
// since cpu0 (a CPUTime reading taken before the loop), for a benchmark
// whose every iteration processes bytes bytes in docs documents.
func ReportRates(b *testing.B, bytes, docs int64, cpu0 time.Duration) {
	s := b.Elapsed().Seconds()
	n := float64(b.N)
	b.ReportMetric(float64(bytes)*n/s/1e6, "MB/s")
	b.ReportMetric(float64(docs)*n/s, "docs/s")
	if c := (CPUTime() - cpu0).Seconds(); c > 0 {
		b.ReportMetric(float64(bytes)*n/c/1e6, "MB/cpu-s")
	}
}
