package dedup

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/llmflow/llmflow/dataprep/textutil"
)

// jsonlField returns field of every line of a JSONL file whose value is a
// string of at least minRunes runes in language lang, the first per
// distinct value of group (assistant data holds several answers to one
// prompt, which are near duplicates of each other).
func jsonlField(tb testing.TB, path, field, group string, minRunes int, lang textutil.Lang) []string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	groups := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		g := fmt.Sprint(row[group])
		if s, ok := row[field].(string); ok && !groups[g] && !groups[s] && utf8.RuneCountInString(s) >= minRunes && textutil.DetectLang(s) == lang {
			out = append(out, s)
			groups[g], groups[s] = true, true
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestQualityHeldOut measures the default configuration on sets that the
// defaults were not tuned on: Chinese assistant answers (oasst1) and later
// chapters of xiyouji with character edits (at Han characters only, and at
// any character, punctuation and Latin included) and English math word
// problems (gsm8k) with word edits, at each edit rate separately. Each set's originals are indexed first,
// then one edited copy of each; recall must reach 0.95 for both scripts at
// every rate, and no original may be removed.
func TestQualityHeldOut(t *testing.T) {
	data := sharedData(t)
	zh := jsonlField(t, filepath.Join(data, "sft", "oasst1_zh_sft.jsonl"), "output", "instruction", 100, textutil.LangZH)
	// Chapters of xiyouji past those TestQualityNearDuplicates uses, in
	// shorter pieces.
	zh = append(zh, chunkLines(t, filepath.Join(data, "pretrain-zh", "xiyouji.txt"), 150)[1300:1700]...)
	en := jsonlField(t, filepath.Join(data, "sft", "gsm8k_test.jsonl"), "answer", "question", 300, textutil.LangEN)
	var han []rune
	seen := map[rune]bool{}
	for _, d := range zh {
		for _, c := range d {
			if unicode.Is(unicode.Han, c) && !seen[c] {
				seen[c] = true
				han = append(han, c)
			}
		}
	}
	vocab := strings.Fields(strings.Join(en[:200], " "))
	sets := []struct {
		lang string
		docs []string
		edit func(r *rand.Rand, d string, rate float64) string
	}{
		{"zh han", zh, func(r *rand.Rand, d string, rate float64) string { return editHan(r, d, rate, han) }},
		{"zh any character", zh, func(r *rand.Rand, d string, rate float64) string { return editRunes(r, d, rate, han) }},
		{"en", en, func(r *rand.Rand, d string, rate float64) string { return editWords(r, d, rate, vocab) }},
	}
	for _, s := range sets {
		for _, rate := range []float64{0.01, 0.02, 0.04, 0.06} {
			t.Run(fmt.Sprintf("%s/%.0f%%", s.lang, 100*rate), func(t *testing.T) {
				r := rand.New(rand.NewPCG(11, uint64(rate*1000)))
				ix, err := NewIndex(DefaultConfig())
				if err != nil {
					t.Fatal(err)
				}
				lost := 0
				for i, d := range s.docs {
					if dec := ix.Add(d); dec.Dup {
						lost++
						t.Logf("distinct %d removed as duplicate of %d (%.2f): %.80q / %.80q", i, dec.Of, dec.Similarity, d, s.docs[dec.Of])
					}
				}
				found := 0
				for _, d := range s.docs {
					if ix.Add(s.edit(r, d, rate)).Dup {
						found++
					}
				}
				recall := float64(found) / float64(len(s.docs))
				fmt.Printf("dedup held-out %s edits %.0f%%: removed %d / %d = %.4f; distinct lost %d\n", s.lang, 100*rate, found, len(s.docs), recall, lost)
				if recall < 0.95 {
					t.Errorf("recall %.4f below 0.95", recall)
				}
				if lost != 0 {
					t.Errorf("%d distinct documents removed", lost)
				}
			})
		}
	}
}

// editHan substitutes, deletes or inserts rate times the number of Han
// characters of text, at Han characters only: the character-level
// counterpart of editWords, leaving the Latin words and punctuation of a
// mixed text alone.
func editHan(r *rand.Rand, text string, rate float64, alphabet []rune) string {
	c := []rune(text)
	var at []int
	for i, x := range c {
		if unicode.Is(unicode.Han, x) {
			at = append(at, i)
		}
	}
	n := max(1, int(rate*float64(len(at))+0.5))
	edit := map[int]int{} // rune index -> 0 substitute, 1 delete, 2 insert before
	for range n {
		edit[at[r.IntN(len(at))]] = r.IntN(3)
	}
	out := make([]rune, 0, len(c)+n)
	for i, x := range c {
		switch e, ok := edit[i]; {
		case !ok:
			out = append(out, x)
		case e == 0:
			out = append(out, alphabet[r.IntN(len(alphabet))])
		case e == 2:
			out = append(out, alphabet[r.IntN(len(alphabet))], x)
		}
	}
	return string(out)
}
