package clean

import "github.com/llmflow/llmflow/dataprep/textutil"

// gopherRepetition applies the Gopher repetition rules (Rae et al. 2021,
// table A1) in datatrove's order. Fractions of characters are over all
// runes of the document.
func (c *Cleaner) gopherRepetition(d *docInfo) Reason {
	cfg := &c.cfg
	total := float64(d.runes)
	if total == 0 {
		return Keep
	}
	if cfg.MaxDupParaFrac > 0 || cfg.MaxDupParaCharFrac > 0 {
		c.tab.reset(len(c.paras))
		dup, chars := 0, 0
		for _, p := range c.paras {
			if s := c.tab.add(p.hash); c.tab.counts[s] > 1 {
				dup++
				chars += int(p.runes)
			}
		}
		if cfg.MaxDupParaFrac > 0 && float64(dup)/float64(max(len(c.paras), 1)) > cfg.MaxDupParaFrac {
			return ReasonDupParaFrac
		}
		if cfg.MaxDupParaCharFrac > 0 && float64(chars)/total > cfg.MaxDupParaCharFrac {
			return ReasonDupParaCharFrac
		}
	}
	if cfg.MaxDupLineFrac > 0 || cfg.MaxDupLineCharFrac > 0 {
		dup, chars := c.dupLines(c.lines)
		if cfg.MaxDupLineFrac > 0 && float64(dup)/float64(max(len(c.lines), 1)) > cfg.MaxDupLineFrac {
			return ReasonDupLineFrac
		}
		if cfg.MaxDupLineCharFrac > 0 && float64(chars)/total > cfg.MaxDupLineCharFrac {
			return ReasonDupLineCharFrac
		}
	}
	return c.ngramRepetition(total)
}

// dupLines counts lines that repeat an earlier line and their runes.
func (c *Cleaner) dupLines(lines []lineInfo) (dup, chars int) {
	c.tab.reset(len(lines))
	for _, l := range lines {
		if s := c.tab.add(l.hash); c.tab.counts[s] > 1 {
			dup++
			chars += int(l.runes)
		}
	}
	return dup, chars
}

// ngramRepetition applies the top 2..4-gram and duplicated 5..10-gram rules.
//
// An n-gram can only repeat where its (n-1)-gram prefix repeats, so each
// step works on the positions whose previous n-gram occurs at least twice
// ("active"), extending their hashes in place: c.hashes[i] becomes the hash
// of words i..i+n-1. Clean text leaves few active positions after n = 2 or
// 3, so the ten n-gram sizes cost little more than one pass. The results
// are exactly those of counting every n-gram. Memory is a few words per
// word of the document: the hashes, the rune prefix sums, the active
// positions and a hash table of them.
func (c *Cleaner) ngramRepetition(total float64) Reason {
	cfg := &c.cfg
	h := c.hashes
	w := len(h)
	maxN := 1
	if len(cfg.TopNgramFracs) > 0 {
		maxN = 1 + len(cfg.TopNgramFracs)
	}
	if len(cfg.DupNgramFracs) > 0 {
		maxN = 4 + len(cfg.DupNgramFracs)
	}
	if maxN == 1 || w < 2 {
		return Keep
	}
	c.active, c.all = grow(c.active, w-1), true
	for n := 2; n <= maxN && n <= w; n++ {
		m := w - n + 1
		// The n-gram at i is the (n-1)-gram at i followed by the last word
		// of the (n-1)-gram at i+1, so hashing the pair identifies it. i+1
		// is active too (the suffix of a repeated n-gram repeats), so h[i+1]
		// still holds its (n-1)-gram: positions are extended in order.
		if c.all {
			for i := range m {
				h[i] = combine(h[i], h[i+1])
			}
		} else {
			act := c.active[:0]
			for _, i := range c.active {
				if int(i) < m {
					h[i] = combine(h[i], h[i+1])
					act = append(act, i)
				}
			}
			c.active = act
		}
		best, bestFirst := c.countActive()
		if n <= 4 {
			if k := n - 2; k < len(cfg.TopNgramFracs) && cfg.TopNgramFracs[k] > 0 {
				if best <= 1 {
					// Every n-gram is unique: Counter.most_common picks the first.
					best, bestFirst = 1, 0
				}
				if float64(int(best)*c.ngramLength(int(bestFirst), n))/total > cfg.TopNgramFracs[k] {
					return ReasonTop2Gram + Reason(k)
				}
			}
		} else {
			k := n - 5
			if k >= len(cfg.DupNgramFracs) {
				break
			}
			rep := c.dupNgram(n)
			if cfg.DupNgramFracs[k] > 0 && float64(rep)/total > cfg.DupNgramFracs[k] {
				return ReasonDup5Gram + Reason(k)
			}
		}
		c.keepRepeated()
		if len(c.active) == 0 && n >= 4 {
			// No repeated n-gram means no repeated longer one; the top
			// 3- and 4-gram rules still need their first n-gram.
			break
		}
	}
	return Keep
}

// ngramLength returns the runes of the n-gram at word i joined as
// datatrove's " ".join: a space between two words unless one is CJK.
func (c *Cleaner) ngramLength(i, n int) int {
	length := int(c.prefix[i+n] - c.prefix[i])
	for j := i; j < i+n-1; j++ {
		if !c.isCJK(j) && !c.isCJK(j+1) {
			length++
		}
	}
	return length
}

// countActive counts the n-grams at the active positions, records each
// position's slot and returns the highest count and the first position of
// the earliest n-gram reaching it.
func (c *Cleaner) countActive() (best, bestFirst int32) {
	c.tab.reset(len(c.active))
	slots := c.activeSlots()
	for k := range slots {
		s := c.tab.add(c.hashes[c.at(k)]) // before slots[k], which may be active[k]
		slots[k] = int32(s)
		best = max(best, c.tab.counts[s])
	}
	// An n-gram's first position is its earliest, so the earliest position
	// whose n-gram reaches best is the first of the earliest such n-gram.
	for k := range slots {
		if c.tab.counts[slots[k]] == best {
			return best, c.at(k)
		}
	}
	return best, 0
}

// at returns the k-th active position.
func (c *Cleaner) at(k int) int32 {
	if c.all {
		return int32(k)
	}
	return c.active[k]
}

// activeSlots returns the slot array of the active positions: active
// itself while every position is active.
func (c *Cleaner) activeSlots() []int32 {
	if c.all {
		return c.active
	}
	c.slots = grow(c.slots, len(c.active))
	return c.slots
}

// keepRepeated narrows the active positions to those whose n-gram occurs
// more than once (countActive must have run for this n).
func (c *Cleaner) keepRepeated() {
	slots := c.activeSlots()
	act := c.active[:0]
	for k := range slots {
		// Writing act[j] for j <= k leaves slots[k] (maybe active[k]) read.
		if c.tab.counts[slots[k]] > 1 {
			act = append(act, c.at(k))
		}
	}
	c.active, c.all = act, false
}

// dupNgram returns the runes of n-grams that repeat an earlier one, skipping
// past each repeat as datatrove's find_all_duplicate does (words joined
// without separators). Only positions whose n-gram occurs twice or more can
// match or be matched, so the others just advance the cursor.
func (c *Cleaner) dupNgram(n int) int {
	c.tab2.reset(len(c.active))
	rep := 0
	next := int32(0) // first position not skipped by a previous repeat
	for k, i := range c.active {
		if i < next || c.tab.counts[c.slots[k]] < 2 {
			continue
		}
		if s := c.tab2.add(c.hashes[i]); c.tab2.counts[s] > 1 {
			rep += int(c.prefix[int(i)+n] - c.prefix[i])
			next = i + int32(n)
		}
	}
	return rep
}

// gopherQuality applies the Gopher quality rules.
func (c *Cleaner) gopherQuality(d *docInfo, lang textutil.Lang) Reason {
	cfg := &c.cfg
	n := d.words
	if cfg.MinWords > 0 && n < cfg.MinWords {
		return ReasonShortDoc
	}
	if cfg.MaxWords > 0 && n > cfg.MaxWords {
		return ReasonLongDoc
	}
	if n == 0 {
		return ReasonShortDoc
	}
	// Mean word length only means something for spaced scripts.
	if lang != textutil.LangZH && d.wordTokens > d.cjkWords && d.wordTokens > 0 {
		mean := float64(d.wordRunes) / float64(d.wordTokens)
		if cfg.MinMeanWordLength > 0 && mean < cfg.MinMeanWordLength {
			return ReasonBelowAvgWordLen
		}
		if cfg.MaxMeanWordLength > 0 && mean > cfg.MaxMeanWordLength {
			return ReasonAboveAvgWordLen
		}
	}
	if cfg.MaxSymbolWordRatio > 0 {
		if float64(d.hashes)/float64(n) > cfg.MaxSymbolWordRatio {
			return ReasonTooManyHashes
		}
		if float64(d.ellipses)/float64(n) > cfg.MaxSymbolWordRatio {
			return ReasonTooManyEllipsis
		}
	}
	if len(c.lines) > 0 && (cfg.MaxBulletLines > 0 || cfg.MaxEllipsisLines > 0) {
		bullets, ell := 0, 0
		for _, l := range c.lines {
			if l.bullet {
				bullets++
			}
			if l.ellipsis {
				ell++
			}
		}
		nl := float64(len(c.lines))
		if cfg.MaxBulletLines > 0 && float64(bullets)/nl > cfg.MaxBulletLines {
			return ReasonTooManyBullets
		}
		if cfg.MaxEllipsisLines > 0 && float64(ell)/nl > cfg.MaxEllipsisLines {
			return ReasonTooManyEndEllipsis
		}
	}
	if cfg.MinAlphaWords > 0 && float64(d.alphaWords)/float64(n) < cfg.MinAlphaWords {
		return ReasonBelowAlpha
	}
	// Stop words exist for English and Chinese only; other scripts pass.
	if cfg.MinStopWords > 0 && lang != textutil.LangOther && d.stopWords < cfg.MinStopWords {
		return ReasonFewStopWords
	}
	return Keep
}

// grow returns s resized to n elements, reusing its array when large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}
