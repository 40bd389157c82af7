package clean

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedData locates the shared corpora: $LLMFLOW_SHARED_DATA, or a
// "shared/data" directory found walking up from the test's directory. It
// skips the test when absent, except under CI where that is a failure.
func sharedData(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("LLMFLOW_SHARED_DATA"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
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
	if os.Getenv("CI") == "true" {
		tb.Fatal("shared/data not found: set LLMFLOW_SHARED_DATA")
	}
	tb.Skip("shared/data not found (set LLMFLOW_SHARED_DATA); skipping")
	return ""
}

// loadDocs reads a corpus: JSONL ("text" field) or text with one document
// per non-empty line.
func loadDocs(tb testing.TB, rel string) []string {
	tb.Helper()
	path := filepath.Join(sharedData(tb), rel)
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var docs []string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasSuffix(rel, ".jsonl") {
			var rec struct {
				Text string `json:"text"`
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				tb.Fatalf("%s: %v", path, err)
			}
			docs = append(docs, rec.Text)
		} else if strings.TrimSpace(line) != "" {
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
