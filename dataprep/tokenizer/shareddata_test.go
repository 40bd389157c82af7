package tokenizer

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

// sharedFiles lists every regular file under the shared data directory.
func sharedFiles(tb testing.TB) []string {
	root := sharedData(tb)
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

func readShared(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(sharedData(tb), rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
