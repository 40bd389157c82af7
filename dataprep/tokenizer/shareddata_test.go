package tokenizer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/llmflow/llmflow/internal/testenv"
)

// sharedFiles lists every regular file under the shared data directory.
func sharedFiles(tb testing.TB) []string {
	root := testenv.SharedData(tb)
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
	b, err := os.ReadFile(filepath.Join(testenv.SharedData(tb), rel))
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
