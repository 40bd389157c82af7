package artifact

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedData locates the shared real data sets: $LLMFLOW_SHARED_DATA, or a
// shared/data directory found walking up from the test's directory. It
// skips when they are absent, except under CI where they must be present.
func sharedData(t testing.TB, rel string) string {
	t.Helper()
	dir := os.Getenv("LLMFLOW_SHARED_DATA")
	if dir == "" {
		wd, _ := os.Getwd()
		for d := wd; ; d = filepath.Dir(d) {
			if fi, err := os.Stat(filepath.Join(d, "shared", "data")); err == nil && fi.IsDir() {
				dir = filepath.Join(d, "shared", "data")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); dir == "" || err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data %s not found (set LLMFLOW_SHARED_DATA)", rel)
		}
		t.Skipf("shared data %s not found (set LLMFLOW_SHARED_DATA)", rel)
	}
	return p
}
