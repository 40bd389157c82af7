package dag

import (
	"fmt"
	"strings"
)

// DOT renders the graph in Graphviz DOT syntax, vertices and edges sorted.
// label, when non-nil, supplies a display label per vertex.
func (g *Graph) DOT(name string, label func(v string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n  rankdir=LR;\n", name)
	for _, v := range g.Vertices() {
		l := v
		if label != nil {
			l = label(v)
		}
		fmt.Fprintf(&b, "  %q [label=%q];\n", v, l)
	}
	for _, e := range g.Edges() {
		fmt.Fprintf(&b, "  %q -> %q;\n", e.From, e.To)
	}
	b.WriteString("}\n")
	return b.String()
}

// Mermaid renders the graph as a Mermaid flowchart. Mermaid ids cannot hold
// dots, so each vertex gets a positional id and keeps its name as label.
func (g *Graph) Mermaid(label func(v string) string) string {
	ids := map[string]string{}
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for i, v := range g.Vertices() {
		ids[v] = fmt.Sprintf("n%d", i)
		l := v
		if label != nil {
			l = label(v)
		}
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", ids[v], strings.ReplaceAll(l, `"`, "#quot;"))
	}
	for _, e := range g.Edges() {
		fmt.Fprintf(&b, "  %s --> %s\n", ids[e.From], ids[e.To])
	}
	return b.String()
}
