package clean

// fineweb applies the FineWeb rules (Penedo et al. 2024, datatrove's
// FineWebQualityFilter) to the analysed text. Lines are the non-empty ones;
// the newline count treats a run of newlines as one break.
func (c *Cleaner) fineweb(d *docInfo) Reason {
	cfg := &c.cfg
	n := len(c.lines)
	if n == 0 {
		return ReasonLinePunct
	}
	nl := float64(n)
	if cfg.FWLinePunct > 0 {
		term := 0
		for _, l := range c.lines {
			if l.terminal {
				term++
			}
		}
		if float64(term)/nl <= cfg.FWLinePunct {
			return ReasonLinePunct
		}
	}
	if cfg.FWShortLineRatio > 0 {
		short := 0
		for _, l := range c.lines {
			if int(l.width) <= cfg.FWShortLineChars {
				short++
			}
		}
		if float64(short)/nl >= cfg.FWShortLineRatio {
			return ReasonShortLines
		}
	}
	if cfg.FWCharDupRatio > 0 {
		_, chars := c.dupLines(c.lines)
		all := 0
		for _, l := range c.lines {
			all += int(l.runes)
		}
		if all > 0 && float64(chars)/float64(all) >= cfg.FWCharDupRatio {
			return ReasonCharDup
		}
	}
	if cfg.FWNewlineRatio > 0 && d.tokens > 0 && float64(d.newlines)/float64(d.tokens) > cfg.FWNewlineRatio {
		return ReasonListRatio
	}
	return Keep
}
