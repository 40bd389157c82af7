package testenv

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// ReadJSONLText returns the "text" field of every line of a JSONL file,
// failing tb on a read error or a line that is not a JSON object.
func ReadJSONLText(tb testing.TB, path string) []string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
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
			tb.Fatalf("%s: %v", path, err)
		}
		out = append(out, row.Text)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// ChunkLines groups the non-empty lines of a text file, trimmed and each
// ending in a newline, into documents of at least minRunes runes. A final
// group shorter than minRunes is dropped.
func ChunkLines(tb testing.TB, path string, minRunes int) []string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
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

// CorpusTexts returns the documents of a named shared corpus, skipping tb
// as SharedData does when the data is absent:
//
//	c4           web-noisy/c4_demo.jsonl, one document per line
//	wiki         pretrain-en/wiki_demo.txt, one document per line
//	shakespeare  pretrain-en/tinyshakespeare.txt in chunks of 2000 runes
//	xiyouji      pretrain-zh/xiyouji.txt in chunks of 1000 runes
func CorpusTexts(tb testing.TB, name string) []string {
	tb.Helper()
	data := SharedData(tb)
	switch name {
	case "c4":
		return ReadJSONLText(tb, filepath.Join(data, "web-noisy", "c4_demo.jsonl"))
	case "wiki":
		raw, err := os.ReadFile(filepath.Join(data, "pretrain-en", "wiki_demo.txt"))
		if err != nil {
			tb.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(string(raw)), "\n")
	case "shakespeare":
		return ChunkLines(tb, filepath.Join(data, "pretrain-en", "tinyshakespeare.txt"), 2000)
	case "xiyouji":
		return ChunkLines(tb, filepath.Join(data, "pretrain-zh", "xiyouji.txt"), 1000)
	}
	tb.Fatalf("unknown corpus %q", name)
	return nil
}
