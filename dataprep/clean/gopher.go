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
		for i, p := range c.paras {
			if _, seen := c.tab.insert(p.hash, i); seen {
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
	for i, l := range lines {
		if _, seen := c.tab.insert(l.hash, i); seen {
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
// ("active"), extending their hashes in place: c.ngram[i] is the hash of
// words i..i+n-1. Clean text leaves few active positions after n = 2 or 3,
// so the ten n-gram sizes cost little more than one pass. The results are
// exactly those of counting every n-gram.
func (c *Cleaner) ngramRepetition(total float64) Reason {
	cfg := &c.cfg
	words := c.words
	w := len(words)
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
	// ngram[i] starts as the hash of word i; prefix[i] = runes of words
	// before i; gaps[i] = separators before i (a space between two non-CJK
	// words, as datatrove's " ".join); every position starts active.
	c.ngram = grow(c.ngram, w)
	c.prefix = grow(c.prefix, w+1)
	c.gaps = grow(c.gaps, w+1)
	c.active = grow(c.active, w-1)
	var sum, gsum int32
	for i, wd := range words {
		c.ngram[i] = wd.hash
		c.prefix[i], c.gaps[i] = sum, gsum
		sum += wd.runes
		if i+1 < w {
			c.active[i] = int32(i)
			if !wd.cjk && !words[i+1].cjk {
				gsum++
			}
		}
	}
	c.prefix[w], c.gaps[w] = sum, gsum
	for n := 2; n <= maxN && n <= w; n++ {
		m := w - n + 1
		// Extend the hashes of the active positions that still fit.
		act := c.active[:0]
		for _, i := range c.active {
			if int(i) < m {
				c.ngram[i] = combine(c.ngram[i], words[int(i)+n-1].hash)
				act = append(act, i)
			}
		}
		c.active = act
		best, bestFirst := c.countActive()
		if n <= 4 {
			if k := n - 2; k < len(cfg.TopNgramFracs) && cfg.TopNgramFracs[k] > 0 {
				if best <= 1 {
					// Every n-gram is unique: Counter.most_common picks the first.
					best, bestFirst = 1, 0
				}
				i := int(bestFirst)
				length := c.prefix[i+n] - c.prefix[i] + c.gaps[i+n-1] - c.gaps[i]
				if float64(int(best)*int(length))/total > cfg.TopNgramFracs[k] {
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

// countActive counts the n-grams at the active positions, records each
// position's slot and returns the highest count and the first position of
// the earliest n-gram reaching it.
func (c *Cleaner) countActive() (best, bestFirst int32) {
	c.tab.reset(len(c.active))
	c.slots = c.slots[:0]
	for _, i := range c.active {
		s, _ := c.tab.insert(c.ngram[i], int(i))
		c.slots = append(c.slots, int32(s))
		// Counts only grow, so tracking the leader on every insert finds
		// the final maximum; among equal counts the earliest first wins.
		if cnt, f := c.tab.counts[s], c.tab.first[s]; cnt > best || (cnt == best && f < bestFirst) {
			best, bestFirst = cnt, f
		}
	}
	return best, bestFirst
}

// keepRepeated narrows the active positions to those whose n-gram occurs
// more than once (countActive must have run for this n).
func (c *Cleaner) keepRepeated() {
	act := c.active[:0]
	for k, i := range c.active {
		if c.tab.counts[c.slots[k]] > 1 {
			act = append(act, i)
		}
	}
	c.active = act
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
		if c.tab.counts[c.slots[k]] < 2 || i < next {
			continue
		}
		if _, seen := c.tab2.insert(c.ngram[i], int(i)); seen {
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
