package clean

import "github.com/llmflow/llmflow/dataprep/textutil"

// Cleaner cleans and filters documents one at a time, reusing its buffers.
// It is not safe for concurrent use: give each goroutine its own (Run does).
type Cleaner struct {
	cfg  Config
	norm *normalizer

	lines []lineInfo
	paras []paraInfo
	// The words (Word and CJK tokens) of the document, as parallel arrays
	// kept small: a long document holds millions of words. hashes[i] starts
	// as word i's hash and ngramRepetition extends it in place to the
	// n-gram starting there; prefix[i] is the runes of the words before i
	// (len(hashes)+1 entries); bit i of cjk is set for a CJK word.
	hashes []uint64
	prefix []int32
	cjk    []uint64
	active []int32
	slots  []int32 // per active position, its n-gram's slot in tab
	// all marks the first n-gram step, where every position is active:
	// active then holds the slots, so a long document needs one array of
	// its size fewer.
	all  bool
	tab  table
	tab2 table

	c4buf, c4line []byte
	ascii         bool // the current document is pure ASCII
	stats         Stats
}

// Result is the outcome for one document.
type Result struct {
	// Text is the cleaned text ("" when dropped). It aliases the Cleaner's
	// buffers (or the input) and stays valid only until the next call.
	Text string
	// Reason is Keep or the first rule that dropped the document.
	Reason Reason
	// Lang is the script-based language of the normalised text.
	Lang textutil.Lang
}

// New returns a Cleaner for cfg after validating it.
func New(cfg Config) (*Cleaner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Cleaner{cfg: cfg, norm: newNormalizer(cfg)}, nil
}

// Config returns the configuration the Cleaner runs with.
func (c *Cleaner) Config() Config { return c.cfg }

// Stats returns the counters accumulated over every Clean call so far.
func (c *Cleaner) Stats() Stats { return c.stats }

// Normalize applies only the text steps (HTML stripping, invisible
// characters, whitespace, Unicode normalisation) and returns a new string.
// Without HTML stripping it is idempotent: Normalize(Normalize(s)) ==
// Normalize(s). It does not touch Stats.
func (c *Cleaner) Normalize(text string) string {
	return string(c.norm.normalize(text))
}

// Clean normalises text, applies the enabled rules and updates Stats.
func (c *Cleaner) Clean(text string) Result {
	st := &c.stats
	st.DocsIn++
	st.BytesIn += int64(len(text))
	out := bytesString(c.norm.normalize(text))
	if c.norm.invalid {
		st.InvalidUTF8Repaired++
	}
	c.ascii = !c.norm.nonASCII
	res := c.filter(out)
	if res.Reason != Keep {
		st.Dropped[res.Reason]++
		return Result{Reason: res.Reason, Lang: res.Lang}
	}
	st.DocsKept++
	st.BytesKept += int64(len(res.Text))
	st.LangKept[res.Lang]++
	if res.Text != text {
		st.DocsModified++
	}
	return res
}

// filter runs the rule groups on normalised text.
func (c *Cleaner) filter(text string) Result {
	if len(text) == 0 {
		return Result{Reason: ReasonEmpty}
	}
	cfg := &c.cfg
	lang := c.norm.scripts.Lang()
	if !cfg.GopherRepetition && !cfg.GopherQuality && !cfg.C4 && !cfg.FineWeb {
		return Result{Text: text, Lang: lang}
	}
	var d docInfo
	c.analyze(text, &d)
	if c.headingsOnly() {
		// In line mode a chapter heading arrives as a document of its own;
		// the length and sentence rules would always drop it, and with it
		// the chapter structure of the text.
		return Result{Text: text, Lang: lang}
	}
	if cfg.GopherRepetition {
		if r := c.gopherRepetition(&d); r != Keep {
			return Result{Reason: r, Lang: lang}
		}
	}
	if cfg.GopherQuality {
		if r := c.gopherQuality(&d, lang); r != Keep {
			return Result{Reason: r, Lang: lang}
		}
	}
	if cfg.C4 {
		out, changed, r := c.c4(text)
		if r != Keep {
			return Result{Reason: r, Lang: lang}
		}
		if changed {
			if len(out) == 0 {
				return Result{Reason: ReasonEmpty, Lang: lang}
			}
			text = out
			if cfg.FineWeb {
				c.analyze(text, &d)
			}
		}
	}
	if cfg.FineWeb {
		if r := c.fineweb(&d); r != Keep {
			return Result{Reason: r, Lang: lang}
		}
	}
	return Result{Text: text, Lang: lang}
}

// headingsOnly reports whether every analysed line is a chapter heading.
func (c *Cleaner) headingsOnly() bool {
	for _, l := range c.lines {
		if !l.heading {
			return false
		}
	}
	return len(c.lines) > 0
}
