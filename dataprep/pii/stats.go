package pii

import "strings"

// Stats counts what scrubbing saw and replaced.
type Stats struct {
	Docs        int64  // documents read
	Bytes       int64  // text bytes read
	DocsChanged int64  // documents with at least one replacement
	Found       Counts // values replaced, per entity
}

// Metrics flattens the counters for the run store: docs, bytes,
// docs_changed, found, and found_<entity> per entity (found_email ...).
func (s Stats) Metrics() map[string]float64 {
	m := map[string]float64{
		"docs":         float64(s.Docs),
		"bytes":        float64(s.Bytes),
		"docs_changed": float64(s.DocsChanged),
		"found":        float64(s.Found.Total()),
	}
	for e := Entity(0); e < NumEntities; e++ {
		m["found_"+strings.ToLower(e.String())] = float64(s.Found[e])
	}
	return m
}

// add folds one document's counts into s.
func (s *Stats) add(bytes int, c Counts) {
	s.Docs++
	s.Bytes += int64(bytes)
	if c.Total() > 0 {
		s.DocsChanged++
	}
	for e, v := range c {
		s.Found[e] += v
	}
}
