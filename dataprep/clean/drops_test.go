package clean

import (
	"strings"
	"testing"
)

func TestCheckDrops(t *testing.T) {
	half, none := 0.5, 0.0
	wiki := Stats{DocsIn: 30, Dropped: [numReasons]int64{ReasonTooFewSentences: 30}, LinesDropped: [numLineReasons]int64{LineNoTerminalPunct: 30}}
	mixed := Stats{DocsIn: 10, DocsKept: 2, Dropped: [numReasons]int64{ReasonShortDoc: 5, ReasonTop2Gram: 2, ReasonLoremIpsum: 1}}
	cases := []struct {
		name          string
		limit         *float64
		st            Stats
		warning, fail string
	}{
		{"no documents", &none, Stats{}, "", ""},
		{"below the default", nil, Stats{DocsIn: 10, DocsKept: 5, Dropped: [numReasons]int64{ReasonShortDoc: 5}}, "", ""},
		{"above the default warns", nil, wiki, "dropped 30 of 30 documents (100.0%), more than the default max_drop_fraction 0.5; most by c4_too_few_sentences 30 (lines removed: no_terminal_punct 30); set max_drop_fraction", ""},
		{"above a set limit fails", &half, mixed, "", "dropped 8 of 10 documents (80.0%), more than max_drop_fraction 0.5; most by gopher_short_doc 5, top_2_gram 2, c4_lorem_ipsum 1"},
		{"zero allows no drop", &none, Stats{DocsIn: 3, DocsKept: 2, Dropped: [numReasons]int64{ReasonEmpty: 1}}, "", "more than max_drop_fraction 0; most by empty 1"},
		{"at the limit", &half, Stats{DocsIn: 4, DocsKept: 2, Dropped: [numReasons]int64{ReasonEmpty: 2}}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.MaxDropFraction = c.limit
			w, err := cfg.CheckDrops(c.st)
			if (c.warning == "") != (w == "") || !strings.HasPrefix(w, c.warning) {
				t.Errorf("warning %q, want prefix %q", w, c.warning)
			}
			if (c.fail == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.fail)) {
				t.Errorf("error %v, want %q", err, c.fail)
			}
		})
	}
}
