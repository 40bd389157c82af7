package clean

import "github.com/llmflow/llmflow/dataprep/textutil"

// Stats counts what a run did. Counters are integers so that merging the
// per-worker values gives the same totals in any order.
type Stats struct {
	DocsIn, DocsKept    int64
	BytesIn, BytesKept  int64 // UTF-8 bytes of the text field before and after cleaning
	Dropped             [numReasons]int64
	LinesSeen           int64 // lines examined by the C4 line rules
	LinesDropped        [numLineReasons]int64
	CitationsRemoved    int64
	LangKept            [3]int64 // indexed by textutil.Lang
	DocsModified        int64    // kept documents whose text changed
	InvalidUTF8Repaired int64    // documents that held invalid UTF-8
}

// Add merges o into s.
func (s *Stats) Add(o Stats) {
	s.DocsIn += o.DocsIn
	s.DocsKept += o.DocsKept
	s.BytesIn += o.BytesIn
	s.BytesKept += o.BytesKept
	for i := range s.Dropped {
		s.Dropped[i] += o.Dropped[i]
	}
	s.LinesSeen += o.LinesSeen
	for i := range s.LinesDropped {
		s.LinesDropped[i] += o.LinesDropped[i]
	}
	s.CitationsRemoved += o.CitationsRemoved
	for i := range s.LangKept {
		s.LangKept[i] += o.LangKept[i]
	}
	s.DocsModified += o.DocsModified
	s.InvalidUTF8Repaired += o.InvalidUTF8Repaired
}

// DocsDropped is the number of dropped documents over all reasons.
func (s Stats) DocsDropped() int64 { return s.DocsIn - s.DocsKept }

// Metrics flattens the counters into metric names: docs_in, docs_kept,
// docs_dropped, bytes_in, bytes_kept, dropped.<reason> for every reason
// (zeros included, so runs compare column by column), lines_seen,
// lines_dropped.<line reason>, citations_removed, docs_modified,
// invalid_utf8_docs and lang.<zh|en|other>.
func (s Stats) Metrics() map[string]float64 {
	m := map[string]float64{
		"docs_in":           float64(s.DocsIn),
		"docs_kept":         float64(s.DocsKept),
		"docs_dropped":      float64(s.DocsDropped()),
		"bytes_in":          float64(s.BytesIn),
		"bytes_kept":        float64(s.BytesKept),
		"lines_seen":        float64(s.LinesSeen),
		"citations_removed": float64(s.CitationsRemoved),
		"docs_modified":     float64(s.DocsModified),
		"invalid_utf8_docs": float64(s.InvalidUTF8Repaired),
	}
	for _, r := range Reasons() {
		m["dropped."+r.String()] = float64(s.Dropped[r])
	}
	for r := LineReason(0); r < numLineReasons; r++ {
		m["lines_dropped."+r.String()] = float64(s.LinesDropped[r])
	}
	for _, l := range []textutil.Lang{textutil.LangEN, textutil.LangZH, textutil.LangOther} {
		m["lang."+l.String()] = float64(s.LangKept[l])
	}
	return m
}
