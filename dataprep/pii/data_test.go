package pii

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// sharedData finds ../shared/data above the repository (or
// $LLMFLOW_SHARED_DATA) and skips when it is absent, failing under CI.
func sharedData(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("LLMFLOW_SHARED_DATA"); d != "" {
		return d
	}
	dir, _ := os.Getwd()
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
		t.Fatal("shared/data not found above the test directory; set LLMFLOW_SHARED_DATA")
	}
	t.Skip("shared/data not found above the test directory; set LLMFLOW_SHARED_DATA to run")
	return ""
}

// readJSONLText returns the "text" field of every line of a JSONL file.
func readJSONLText(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var row struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, row.Text)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// chunkLines groups the non-empty lines of a text file into documents of at
// least minRunes runes.
func chunkLines(t testing.TB, path string, minRunes int) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if utf8.RuneCountInString(cur.String()) >= minRunes {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	return out
}
