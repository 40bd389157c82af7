package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRunProgressTerminal watches `llmflow run` in a real terminal while a
// node runs in 8 shards: its bar counts the documents of all the shards,
// out of the input's, and never goes back, then the run ends with its
// summary.
func TestRunProgressTerminal(t *testing.T) {
	dir := t.TempDir()
	const docs = 100000
	// Documents of 120 words drawn from a small vocabulary: long and
	// varied enough for clean's default rules to keep most of them.
	words := strings.Fields("the river ran by the mill and a miller baked bread for market day while children played near water under old trees in warm light of morning sun across green fields with quiet birds")
	var corpus strings.Builder
	x := uint32(1)
	for range docs {
		corpus.WriteString(`{"text": "`)
		for w := range 120 {
			x = x*1664525 + 1013904223
			if w > 0 {
				corpus.WriteByte(' ')
			}
			corpus.WriteString(words[x>>24%uint32(len(words))])
			if w%12 == 11 {
				corpus.WriteByte('.')
			}
		}
		corpus.WriteString(".\"}\n")
	}
	os.WriteFile(filepath.Join(dir, "corpus.jsonl"), []byte(corpus.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "pipeline.hcl"), []byte(`
dataset "d" {
  path = "corpus.jsonl"
}
clean "c" {
  input   = dataset.d
  shards  = 8
  workers = 1
}
`), 0o644)
	p := newTmuxPane(t, "cd "+dir+" && "+binary+" run pipeline.hcl")
	bar := regexp.MustCompile(`(?m)^clean\.c\s+(\d+)/(\d+)`)
	var seen []string
	last := int64(-1)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s := p.screen()
		if m := bar.FindStringSubmatch(s); m != nil {
			done, _ := strconv.ParseInt(m[1], 10, 64)
			total, _ := strconv.ParseInt(m[2], 10, 64)
			if total != 0 && total != docs {
				t.Fatalf("the bar counts %s out of %d, want out of the input's %d documents", m[0], total, docs)
			}
			if done < last {
				t.Fatalf("the bar went back from %d to %d; it showed %q", last, done, append(seen, m[0]))
			}
			if done != last {
				seen = append(seen, m[0])
			}
			last = done
		}
		if strings.Contains(s, "[exit ") {
			if !strings.Contains(s, "[exit 0]") || !strings.Contains(s, "clean.c: finished") || !regexp.MustCompile(`run \S+ succeeded`).MatchString(s) {
				t.Fatalf("the run did not end well:\n%s", s)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not end; the terminal shows:\n%s", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The bar showed the node's progress more than once on its way.
	if len(seen) < 2 {
		t.Errorf("the bar showed %q", seen)
	}
	t.Logf("bar: %q\nterminal:\n%s", seen, p.screen())
}
