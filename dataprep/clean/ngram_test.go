package clean

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/textutil"
)

// naiveNgramReason is a direct port of datatrove's n-gram rules over
// textutil words, used as the reference for the sparse implementation.
func naiveNgramReason(text string, cfg Config) Reason {
	words := textutil.AppendWords(nil, text)
	total := float64(len([]rune(text)))
	isCJK := func(w string) bool { return textutil.IsCJK([]rune(w)[0]) }
	gram := func(i, n int, sep bool) (string, int) {
		var b strings.Builder
		l := 0
		for k := i; k < i+n; k++ {
			if k > i {
				b.WriteByte(0)
				if sep && !isCJK(words[k-1]) && !isCJK(words[k]) {
					l++
				}
			}
			b.WriteString(words[k])
			l += len([]rune(words[k]))
		}
		return b.String(), l
	}
	for k, frac := range cfg.TopNgramFracs {
		n := k + 2
		if len(words) < n {
			continue
		}
		counts := map[string]int{}
		var order []string
		lens := map[string]int{}
		for i := 0; i+n <= len(words); i++ {
			g, l := gram(i, n, true)
			if counts[g] == 0 {
				order = append(order, g)
				lens[g] = l
			}
			counts[g]++
		}
		best := order[0]
		for _, g := range order {
			if counts[g] > counts[best] {
				best = g
			}
		}
		if float64(counts[best]*lens[best])/total > frac {
			return ReasonTop2Gram + Reason(k)
		}
	}
	for k, frac := range cfg.DupNgramFracs {
		n := k + 5
		seen := map[string]bool{}
		rep := 0
		for i := 0; i+n <= len(words); {
			g, l := gram(i, n, false)
			if seen[g] {
				rep += l
				i += n
			} else {
				seen[g] = true
				i++
			}
		}
		if float64(rep)/total > frac {
			return ReasonDup5Gram + Reason(k)
		}
	}
	return Keep
}

func TestNgramMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	vocab := []string{"a", "bb", "ccc", "dddd", "the", "of", "中", "文", "x", "yy"}
	cfg := only("repetition")
	cfg.MaxDupLineFrac, cfg.MaxDupParaFrac, cfg.MaxDupLineCharFrac, cfg.MaxDupParaCharFrac = 0, 0, 0, 0
	cl, _ := New(cfg)
	// Scale the thresholds so that every rule fires on some documents.
	for trial := 0; trial < 3000; trial++ {
		n := 2 + rng.Intn(200)
		v := 2 + rng.Intn(len(vocab)-1)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = vocab[rng.Intn(v)]
		}
		text := strings.Join(parts, " ")
		c := cfg
		scale := 0.5 + rng.Float64()*4
		c.TopNgramFracs = []float64{0.2 * scale, 0.18 * scale, 0.16 * scale}
		c.DupNgramFracs = []float64{0.15 * scale, 0.14 * scale, 0.13 * scale, 0.12 * scale, 0.11 * scale, 0.10 * scale}
		cl.cfg = c
		want := naiveNgramReason(cl.Normalize(text), c)
		if got := cl.Clean(text).Reason; got != want {
			t.Fatalf("trial %d: reason %v, naive %v for %q (scale %.2f)", trial, got, want, text, scale)
		}
	}
}
