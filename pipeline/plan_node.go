package pipeline

import (
	"fmt"
	"strings"

	"github.com/llmflow/llmflow/artifact"
)

// lookupCached returns a node's recorded outputs when all are in the store.
func lookupCached(s *artifact.Store, key string) (map[string]string, bool) {
	if s == nil {
		return nil, false
	}
	out, ok := s.LookupNode(key)
	if !ok {
		return nil, false
	}
	for _, d := range out {
		if !s.Has(d) {
			return nil, false
		}
	}
	return out, true
}

// String renders a decision as a plan line, followed by one line per
// change when the node runs because something changed.
func (n *NodePlan) String() string {
	switch n.Action {
	case ActionCached:
		return fmt.Sprintf("  = %s (cached)", n.Addr)
	case ActionBlocked:
		return fmt.Sprintf("  ! %s (blocked: %s)", n.Addr, n.Reason)
	}
	reason := n.Reason
	if n.ResumeStep > 0 {
		reason += fmt.Sprintf(", resume from step %d", n.ResumeStep)
	}
	line := fmt.Sprintf("  + %s (will run: %s)", n.Addr, reason)
	if n.Executor != "" {
		line += fmt.Sprintf(" on executor %q", n.Executor)
	}
	lines := []string{line}
	for _, c := range n.Changes {
		lines = append(lines, c.String())
	}
	return strings.Join(lines, "\n")
}

// SourceParts returns the key parts of a node that do not depend on
// upstream nodes: kind, plugin identity, config, seed and the digests of the
// source files it reads. Reproduce compares them with a recorded run.
func (p *Plan) SourceParts(addr string) (KeyParts, bool) {
	n, ok := p.prep[addr]
	if !ok {
		return KeyParts{}, false
	}
	return n.base, true
}
