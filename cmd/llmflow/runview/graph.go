package runview

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/llmflow/llmflow/pipeline/runstore"
)

// Graph is the run's node graph laid out in columns by depth, for an
// inline SVG: a node's column is one more than its deepest producer's.
type Graph struct {
	Width, Height int
	Boxes         []GraphBox
	Edges         []GraphEdge
}

// GraphBox is a node drawn at X, Y.
type GraphBox struct {
	NodeRow
	X, Y int
}

// GraphEdge is a line from a producer's box to a consumer's.
type GraphEdge struct{ X1, Y1, X2, Y2 int }

// Box geometry of the SVG graph, in pixels.
const (
	boxW, boxH = 170, 40
	gapX, gapY = 40, 14
)

// layoutGraph places the nodes; an edge joins two nodes when one consumed
// an artifact the other produced in this run.
func layoutGraph(d *runstore.RunDetail, rows []NodeRow) *Graph {
	producer := map[string]string{}
	for _, e := range d.Lineage {
		if e.Role == runstore.RoleOutput {
			producer[e.Digest] = e.Addr
		}
	}
	// A node's inputs are in its key components from the moment it starts;
	// lineage has them only once it finished.
	deps := map[string][]string{}
	for _, n := range d.Nodes {
		var parts struct {
			Inputs map[string]string `json:"inputs"`
		}
		json.Unmarshal(n.KeyComponents, &parts)
		for _, name := range slices.Sorted(maps.Keys(parts.Inputs)) {
			if p, ok := producer[parts.Inputs[name]]; ok && p != n.Addr && !slices.Contains(deps[n.Addr], p) {
				deps[n.Addr] = append(deps[n.Addr], p)
			}
		}
	}
	depth := map[string]int{}
	var depthOf func(addr string, seen map[string]bool) int
	depthOf = func(addr string, seen map[string]bool) int {
		if v, ok := depth[addr]; ok {
			return v
		}
		if seen[addr] { // lineage never cycles, but a corrupt store must not hang the page
			return 0
		}
		seen[addr] = true
		best := 0
		for _, p := range deps[addr] {
			best = max(best, depthOf(p, seen)+1)
		}
		depth[addr] = best
		return best
	}
	g := &Graph{}
	rowsAt := map[int]int{}
	at := map[string][2]int{}
	for _, r := range rows {
		col := depthOf(r.Addr, map[string]bool{})
		x, y := 10+col*(boxW+gapX), 10+rowsAt[col]*(boxH+gapY)
		rowsAt[col]++
		g.Boxes = append(g.Boxes, GraphBox{NodeRow: r, X: x, Y: y})
		at[r.Addr] = [2]int{x, y}
		g.Width, g.Height = max(g.Width, x+boxW+10), max(g.Height, y+boxH+10)
	}
	for _, r := range rows {
		c, ok := at[r.Addr]
		for _, p := range deps[r.Addr] {
			if q, ok2 := at[p]; ok && ok2 {
				g.Edges = append(g.Edges, GraphEdge{q[0] + boxW, q[1] + boxH/2, c[0], c[1] + boxH/2})
			}
		}
	}
	return g
}
