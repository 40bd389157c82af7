package clean

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/internal/testenv"
)

// sharedData returns the shared corpora directory, skipping when it is
// absent (failing under CI=true); used by jsonl_test.go.
var sharedData = testenv.SharedData

// loadDocs reads a corpus: JSONL ("text" field) or text with one document
// per non-empty line.
func loadDocs(tb testing.TB, rel string) []string {
	tb.Helper()
	path := filepath.Join(testenv.SharedData(tb), rel)
	if strings.HasSuffix(rel, ".jsonl") {
		return testenv.ReadJSONLText(tb, path)
	}
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var docs []string
	for sc.Scan() {
		if line := sc.Text(); strings.TrimSpace(line) != "" {
			docs = append(docs, line)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return docs
}

var corpora = []struct{ name, path string }{
	{"c4", "web-noisy/c4_demo.jsonl"},
	{"wiki", "pretrain-en/wiki_demo.txt"},
	{"xiyouji", "pretrain-zh/xiyouji.txt"},
}
