package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedData returns the directory of the shared real data sets:
// $LLMFLOW_SHARED_DATA when set, otherwise the first shared/data directory
// found walking up from the working directory. When there is none it skips
// tb, or fails it when CI=true, where the data must be present.
func SharedData(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("LLMFLOW_SHARED_DATA"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		SkipOrFail(tb, "shared data not found (working directory: %v); set LLMFLOW_SHARED_DATA", err)
		return ""
	}
	return sharedDataAbove(tb, wd, "")
}

// sharedDataAbove looks for shared/data in start and its parents up to top
// (the filesystem root when top is ""), so tests can fence the search off
// from whatever surrounds their temporary directory.
func sharedDataAbove(tb testing.TB, start, top string) string {
	tb.Helper()
	for dir := start; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "shared", "data")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		if dir == top || filepath.Dir(dir) == dir {
			break
		}
	}
	SkipOrFail(tb, "shared data not found: no shared/data directory above %s; set LLMFLOW_SHARED_DATA", start)
	return ""
}

// SharedFile returns the path of rel, a slash-separated path inside
// SharedData. Like SharedData it skips tb when the file is absent, or fails
// it when CI=true.
func SharedFile(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(SharedData(tb), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		SkipOrFail(tb, "shared data %s not found (set LLMFLOW_SHARED_DATA): %v", rel, err)
	}
	return p
}

// SkipOrFail skips tb with the formatted message, or fails it when the
// CI environment variable is "true": for tests that need a tool or data set
// CI installs but a developer's machine may lack.
func SkipOrFail(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf(format+" (required when CI=true)", args...)
	}
	tb.Skipf(format, args...)
}
