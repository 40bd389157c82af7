package pii

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// carriers returns English and Chinese snippets to embed values in.
func carriers(t *testing.T) (en, zh []string) {
	data := sharedData(t)
	for _, d := range readJSONLText(t, filepath.Join(data, "web-noisy", "c4_demo.jsonl")) {
		if len(d) > 300 {
			d = d[:strings.LastIndexByte(d[:300], ' ')]
		}
		en = append(en, d)
	}
	for _, d := range chunkLines(t, filepath.Join(data, "pretrain-zh", "xiyouji.txt"), 80) {
		zh = append(zh, d)
	}
	return en, zh
}

// TestQualityPlanted plants values of every entity (English and Chinese
// contexts, Chinese without spaces) and look-alikes into real text, then
// requires at least 99.5% of planted values removed and 99% of look-alikes
// kept.
func TestQualityPlanted(t *testing.T) {
	en, zh := carriers(t)
	p, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	g := gen{rand.New(rand.NewPCG(11, 29))}
	const perEntity = 2000
	var found, total [NumEntities]int
	for e := Entity(0); e < NumEntities; e++ {
		for k := range perEntity {
			v := g.planted(e)
			isZh := k%2 == 1
			var doc string
			if isZh {
				c := zh[g.r.IntN(len(zh))]
				cut := splitRune(c, g.r.IntN(len(c)+1))
				doc = c[:cut] + g.context(e, v, true) + c[cut:]
			} else {
				c := en[g.r.IntN(len(en))]
				cut := strings.LastIndexByte(c[:g.r.IntN(len(c)+1)], ' ') + 1
				doc = c[:cut] + g.context(e, v, false) + " " + c[cut:]
			}
			out, _ := p.Scrub(doc)
			total[e]++
			if !strings.Contains(out, v) {
				found[e]++
			} else if total[e]-found[e] <= 3 {
				t.Logf("%v missed: %q in %q", e, v, snippet(doc, v))
			}
		}
	}
	var ft, tt int
	for e := Entity(0); e < NumEntities; e++ {
		fmt.Printf("pii quality planted %-12v removed %5d / %5d = %.4f\n", e, found[e], total[e], float64(found[e])/float64(total[e]))
		ft += found[e]
		tt += total[e]
	}
	rate := float64(ft) / float64(tt)
	fmt.Printf("pii quality planted all          removed %5d / %5d = %.4f (target 0.995)\n", ft, tt, rate)
	if rate < 0.995 {
		t.Errorf("planted recall %.4f below 0.995", rate)
	}

	kept := map[string][2]int{}
	for k := range 20000 {
		kind, v, text := g.lookAlike()
		var doc string
		if k%2 == 1 {
			c := zh[g.r.IntN(len(zh))]
			cut := splitRune(c, g.r.IntN(len(c)+1))
			doc = c[:cut] + text + c[cut:]
		} else {
			c := en[g.r.IntN(len(en))]
			cut := strings.LastIndexByte(c[:g.r.IntN(len(c)+1)], ' ') + 1
			doc = c[:cut] + text + " " + c[cut:]
		}
		out, _ := p.Scrub(doc)
		x := kept[kind]
		x[1]++
		if strings.Contains(out, v) {
			x[0]++
		} else if x[1]-x[0] <= 3 {
			t.Logf("%s replaced: %q -> %q", kind, snippet(doc, v), snippet(out, "<"))
		}
		kept[kind] = x
	}
	var kinds []string
	for k := range kept {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var kt, ktt int
	for _, k := range kinds {
		x := kept[k]
		fmt.Printf("pii quality look-alike %-17s kept %5d / %5d = %.4f\n", k, x[0], x[1], float64(x[0])/float64(x[1]))
		kt += x[0]
		ktt += x[1]
	}
	krate := float64(kt) / float64(ktt)
	fmt.Printf("pii quality look-alike all               kept %5d / %5d = %.4f (target 0.99)\n", kt, ktt, krate)
	if krate < 0.99 {
		t.Errorf("look-alike precision %.4f below 0.99", krate)
	}
}

func splitRune(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

func snippet(doc, v string) string {
	i := strings.Index(doc, v)
	if i < 0 {
		i = 0
	}
	return doc[max(0, splitRune(doc, i-30)):splitRune(doc, min(len(doc), i+len(v)+30))]
}
