package tokenize

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedData locates the shared real-data directory: $LLMFLOW_SHARED_DATA, or
// a shared/data directory found walking up from the test's directory. It
// skips the test when absent, but fails in CI.
func sharedData(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("LLMFLOW_SHARED_DATA"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err == nil {
		for {
			cand := filepath.Join(dir, "shared", "data")
			if st, err := os.Stat(cand); err == nil && st.IsDir() {
				return cand
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("shared data not found: set LLMFLOW_SHARED_DATA or place shared/data above the repository")
	}
	tb.Skip("shared data not found (set LLMFLOW_SHARED_DATA); skipping")
	return ""
}
