package clean

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmflow/llmflow/internal/testenv"
)

// paragraphDocs reads a text corpus as the dataset block's paragraph mode
// does: one document per blank-line-separated paragraph.
func paragraphDocs(tb testing.TB, rel string) []string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.SharedData(tb), rel))
	if err != nil {
		tb.Fatal(err)
	}
	var docs []string
	for _, p := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(p) != "" {
			docs = append(docs, strings.Trim(p, "\n"))
		}
	}
	return docs
}

// narrativeRunes is the length from which a xiyouji paragraph counts as
// narrative: shorter ones are mostly verse couplets and one-line speech,
// which the length rules drop in English text too.
const narrativeRunes = 75

// TestCorpusKept cleans real corpora with the defaults: xiyouji.txt must
// keep its chapter headings and its narrative paragraphs, and the articles
// of wiki_demo.txt (one line each, sentences glued) must survive.
func TestCorpusKept(t *testing.T) {
	cases := []struct {
		name string
		docs func(testing.TB) []string
	}{
		{"xiyouji line mode", func(tb testing.TB) []string { return loadDocs(tb, "pretrain-zh/xiyouji.txt") }},
		{"xiyouji paragraph mode", func(tb testing.TB) []string { return paragraphDocs(tb, "pretrain-zh/xiyouji.txt") }},
		{"wiki line mode", func(tb testing.TB) []string { return loadDocs(tb, "pretrain-en/wiki_demo.txt") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, err := New(DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			var headings, headingsKept, narrative, narrativeKept int
			for _, d := range c.docs(t) {
				kept := cl.Clean(d).Reason == Keep
				switch {
				case isCJKHeading(strings.TrimSpace(d)):
					headings++
					if kept {
						headingsKept++
					}
				case utf8.RuneCountInString(strings.TrimSpace(d)) >= narrativeRunes:
					narrative++
					if kept {
						narrativeKept++
					}
				}
			}
			st := cl.Stats()
			t.Logf("kept %d of %d documents (%.3f); narrative %d of %d (%.3f); headings %d of %d",
				st.DocsKept, st.DocsIn, float64(st.DocsKept)/float64(st.DocsIn),
				narrativeKept, narrative, float64(narrativeKept)/float64(narrative), headingsKept, headings)
			if headingsKept != headings {
				t.Errorf("kept %d of %d chapter headings", headingsKept, headings)
			}
			if float64(narrativeKept) < 0.9*float64(narrative) {
				t.Errorf("kept %d of %d narrative documents, want at least 90%%", narrativeKept, narrative)
			}
			if w, _ := cl.Config().CheckDrops(st); w != "" {
				t.Errorf("unexpected warning: %s", w)
			}
		})
	}
}
