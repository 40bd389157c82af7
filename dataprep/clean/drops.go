package clean

import (
	"fmt"
	"sort"
	"strings"
)

// DefaultMaxDropFraction is the share of dropped documents above which a
// run warns when max_drop_fraction is not set: a filter that removes most
// of a corpus is more often misconfigured for it than right.
const DefaultMaxDropFraction = 0.5

// CheckDrops compares the share of documents st dropped with
// c.MaxDropFraction. Without a limit set, it returns a warning when more
// than DefaultMaxDropFraction went; with one, an error when more than the
// limit went. Both name the rules that dropped most.
func (c Config) CheckDrops(st Stats) (warning string, err error) {
	if st.DocsIn == 0 {
		return "", nil
	}
	limit, which := DefaultMaxDropFraction, "the default max_drop_fraction"
	if c.MaxDropFraction != nil {
		limit, which = *c.MaxDropFraction, "max_drop_fraction"
	}
	frac := float64(st.DocsDropped()) / float64(st.DocsIn)
	if frac <= limit {
		return "", nil
	}
	msg := fmt.Sprintf("dropped %d of %d documents (%.1f%%), more than %s %g; %s",
		st.DocsDropped(), st.DocsIn, 100*frac, which, limit, st.topRules(3))
	if c.MaxDropFraction == nil {
		return msg + "; set max_drop_fraction to make this an error, or adjust the rules for this corpus", nil
	}
	return "", fmt.Errorf("%s", msg)
}

// topRules describes the n document rules that dropped most and, when the
// C4 line rules removed lines, the line rules that removed most (a line
// rule can empty a document that a document rule then drops).
func (s Stats) topRules(n int) string {
	type count struct {
		name string
		n    int64
	}
	top := func(cs []count) string {
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].n > cs[j].n })
		var parts []string
		for _, c := range cs {
			if c.n > 0 && len(parts) < n {
				parts = append(parts, fmt.Sprintf("%s %d", c.name, c.n))
			}
		}
		return strings.Join(parts, ", ")
	}
	var docs, lines []count
	for _, r := range Reasons() {
		docs = append(docs, count{r.String(), s.Dropped[r]})
	}
	for r := LineReason(0); r < numLineReasons; r++ {
		lines = append(lines, count{r.String(), s.LinesDropped[r]})
	}
	out := "most by " + top(docs)
	if l := top(lines); l != "" {
		out += fmt.Sprintf(" (lines removed: %s)", l)
	}
	return out
}
