package pii

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// Counts holds the number of values found per entity.
type Counts [NumEntities]int64

// Total returns the sum over all entities.
func (c Counts) Total() int64 {
	var t int64
	for _, v := range c {
		t += v
	}
	return t
}

// Scrubber finds and replaces entities as configured. It is immutable after
// New and safe for concurrent use.
type Scrubber struct {
	cfg Config
	on  [NumEntities]bool
}

// New returns a Scrubber for cfg, which must validate.
func New(cfg Config) (*Scrubber, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Scrubber{cfg: cfg}
	p.on, _ = cfg.entitySet()
	return p, nil
}

// Scrub returns text with every found value replaced, and the counts. When
// nothing is found it returns text itself without copying. Invalid UTF-8 is
// replaced by U+FFFD so the output is always valid UTF-8.
func (p *Scrubber) Scrub(text string) (string, Counts) {
	var buf [16]Match
	ms := p.Find(text, buf[:0])
	var c Counts
	if len(ms) == 0 {
		if !utf8.ValidString(text) {
			return strings.ToValidUTF8(text, "\uFFFD"), c
		}
		return text, c
	}
	var b strings.Builder
	b.Grow(len(text))
	prev := 0
	for _, m := range ms {
		c[m.Entity]++
		b.WriteString(text[prev:m.Start])
		p.replace(&b, text[m.Start:m.End], m.Entity)
		prev = m.End
	}
	b.WriteString(text[prev:])
	out := b.String()
	if !utf8.ValidString(out) {
		out = strings.ToValidUTF8(out, "\uFFFD")
	}
	return out, c
}

func (p *Scrubber) replace(b *strings.Builder, v string, e Entity) {
	switch p.cfg.Replace {
	case ReplaceMask:
		for k := 0; k < len(v); k++ {
			if v[k] == '\n' {
				b.WriteByte('\n') // keep a masked PEM block's line structure
			} else {
				b.WriteByte('*')
			}
		}
	case ReplaceHash:
		h := sha256.New()
		h.Write([]byte(p.cfg.Salt))
		h.Write([]byte{0, byte(e)})
		h.Write([]byte(v))
		var sum [sha256.Size]byte
		b.WriteByte('<')
		b.WriteString(e.String())
		b.WriteByte(':')
		b.WriteString(hex.EncodeToString(h.Sum(sum[:0])[:8]))
		b.WriteByte('>')
	default:
		b.WriteByte('<')
		b.WriteString(e.String())
		b.WriteByte('>')
	}
}
