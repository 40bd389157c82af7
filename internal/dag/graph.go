package dag

import (
	"fmt"
	"sort"
)

// Graph is a directed graph whose edge from -> to means "to depends on from".
// A Graph is not safe for concurrent mutation; reads may run concurrently
// once it is built.
type Graph struct {
	vertices map[string]struct{}
	down     map[string]map[string]struct{} // from -> dependants
	up       map[string]map[string]struct{} // to -> dependencies
}

// Edge is one dependency: To depends on From.
type Edge struct{ From, To string }

// New returns an empty graph.
func New() *Graph {
	return &Graph{
		vertices: map[string]struct{}{},
		down:     map[string]map[string]struct{}{},
		up:       map[string]map[string]struct{}{},
	}
}

// Add inserts a vertex; adding an existing vertex is a no-op.
func (g *Graph) Add(v string) { g.vertices[v] = struct{}{} }

// Has reports whether v is a vertex of the graph.
func (g *Graph) Has(v string) bool { _, ok := g.vertices[v]; return ok }

// Connect records that to depends on from, adding both vertices if needed.
func (g *Graph) Connect(from, to string) {
	g.Add(from)
	g.Add(to)
	if g.down[from] == nil {
		g.down[from] = map[string]struct{}{}
	}
	if g.up[to] == nil {
		g.up[to] = map[string]struct{}{}
	}
	g.down[from][to] = struct{}{}
	g.up[to][from] = struct{}{}
}

// Vertices returns every vertex in sorted order.
func (g *Graph) Vertices() []string { return sortedKeys(g.vertices) }

// Len returns the number of vertices.
func (g *Graph) Len() int { return len(g.vertices) }

// Edges returns every edge sorted by (From, To).
func (g *Graph) Edges() []Edge {
	var out []Edge
	for _, from := range sortedKeys(g.down) {
		for _, to := range sortedKeys(g.down[from]) {
			out = append(out, Edge{From: from, To: to})
		}
	}
	return out
}

// DependenciesOf returns the vertices v depends on directly, sorted.
func (g *Graph) DependenciesOf(v string) []string { return sortedKeys(g.up[v]) }

// DependantsOf returns the vertices that depend on v directly, sorted.
func (g *Graph) DependantsOf(v string) []string { return sortedKeys(g.down[v]) }

// Descendants returns every vertex reachable from v (not v itself), sorted.
func (g *Graph) Descendants(v string) []string {
	seen := map[string]struct{}{}
	stack := []string{v}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for next := range g.down[cur] {
			if _, ok := seen[next]; !ok {
				seen[next] = struct{}{}
				stack = append(stack, next)
			}
		}
	}
	return sortedKeys(seen)
}

// CycleError reports the cycles found in a graph; each cycle lists its
// vertices in edge order starting from the smallest name.
type CycleError struct{ Cycles [][]string }

// Error names every cycle.
func (e *CycleError) Error() string {
	msg := "dependency cycle"
	for i, c := range e.Cycles {
		if i > 0 {
			msg += ";"
		}
		msg += " " + FormatCycle(c)
	}
	return msg
}

// FormatCycle renders a cycle as "a -> b -> a".
func FormatCycle(c []string) string {
	s := ""
	for _, v := range c {
		s += v + " -> "
	}
	if len(c) > 0 {
		s += c[0]
	}
	return s
}

// TopoOrder returns the vertices so that each comes after its dependencies;
// ties break by name so the order is deterministic. It returns a
// *CycleError when the graph is not acyclic.
func (g *Graph) TopoOrder() ([]string, error) {
	if cycles := g.Cycles(); len(cycles) > 0 {
		return nil, &CycleError{Cycles: cycles}
	}
	indeg := map[string]int{}
	for v := range g.vertices {
		indeg[v] = len(g.up[v])
	}
	var ready, out []string
	for _, v := range g.Vertices() {
		if indeg[v] == 0 {
			ready = append(ready, v)
		}
	}
	for len(ready) > 0 {
		v := ready[0]
		ready = ready[1:]
		out = append(out, v)
		for _, d := range g.DependantsOf(v) {
			indeg[d]--
			if indeg[d] == 0 {
				ready = insertSorted(ready, d)
			}
		}
	}
	if len(out) != len(g.vertices) {
		return nil, fmt.Errorf("dag: topological order incomplete; this is a bug in llmflow")
	}
	return out, nil
}

func insertSorted(s []string, v string) []string {
	i := sort.SearchStrings(s, v)
	s = append(s, "")
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
