package dedup

import "github.com/llmflow/llmflow/dataprep/stream"

// AddAll signs texts on up to workers goroutines (0 means GOMAXPROCS), then
// decides on them in order, and appends one Decision per text to dst. It is
// the batch form of Add for line-oriented inputs such as JSONL: the
// decisions equal those of calling Add on each text in turn.
func (ix *Index) AddAll(texts []string, workers int, dst []Decision) []Decision {
	ix.scratch = growSigs(ix.scratch, len(texts))
	ix.SignAll(texts, ix.scratch, workers)
	for i := range texts {
		dst = append(dst, ix.AddSignature(&ix.scratch[i]))
	}
	return dst
}

// Mapper adapts an Index to stream.Mapper: duplicates are dropped with the
// reason "duplicate_exact", "duplicate_near" or, against a reference set,
// "contamination_exact" / "contamination_near". Decisions depend on input
// order, so a Mapper must run with exactly one stream worker.
type Mapper struct {
	Index *Index
	sig   Signature
}

// NewMapper returns a Mapper over a new Index for cfg.
func NewMapper(cfg Config) (*Mapper, error) {
	ix, err := NewIndex(cfg)
	if err != nil {
		return nil, err
	}
	return &Mapper{Index: ix}, nil
}

// Map decides on one text.
func (m *Mapper) Map(text string, r *stream.Result) {
	m.Index.Sign(text, &m.sig)
	d := m.Index.AddSignature(&m.sig)
	if d.Dup {
		r.Drop, r.Reason = true, d.Reason()
	}
}

// Reason names why a document was dropped, for rejects outputs.
func (d Decision) Reason() string {
	switch {
	case !d.Dup:
		return ""
	case d.Against && d.Kind == KindExact:
		return "contamination_exact"
	case d.Against:
		return "contamination_near"
	case d.Kind == KindExact:
		return "duplicate_exact"
	}
	return "duplicate_near"
}
