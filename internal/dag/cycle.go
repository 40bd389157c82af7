package dag

import "sort"

// Cycles returns every cycle in the graph (one per strongly connected
// component with more than one vertex, plus self-loops). Each cycle follows
// edges from its smallest vertex so messages are stable across runs.
func (g *Graph) Cycles() [][]string {
	var out [][]string
	for _, scc := range g.components() {
		if len(scc) == 1 {
			v := scc[0]
			if _, self := g.down[v][v]; !self {
				continue
			}
		}
		out = append(out, g.cycleThrough(scc))
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// components is Tarjan's strongly connected components algorithm, iterating
// vertices in sorted order for determinism.
func (g *Graph) components() [][]string {
	index, low := map[string]int{}, map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out [][]string
	next := 0
	var visit func(v string)
	visit = func(v string) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range g.DependantsOf(v) {
			if _, seen := index[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var scc []string
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			scc = append(scc, w)
			if w == v {
				break
			}
		}
		sort.Strings(scc)
		out = append(out, scc)
	}
	for _, v := range g.Vertices() {
		if _, seen := index[v]; !seen {
			visit(v)
		}
	}
	return out
}

// cycleThrough finds one concrete cycle inside a strongly connected
// component, starting at its smallest vertex, by a breadth-first search
// back to the start that stays inside the component.
func (g *Graph) cycleThrough(scc []string) []string {
	in := map[string]bool{}
	for _, v := range scc {
		in[v] = true
	}
	start := scc[0]
	prev := map[string]string{}
	queue := []string{start}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, w := range g.DependantsOf(cur) {
			if !in[w] {
				continue
			}
			if w == start {
				return unwind(prev, start, cur)
			}
			if _, ok := prev[w]; !ok {
				prev[w] = cur
				queue = append(queue, w)
			}
		}
	}
	return scc
}

func unwind(prev map[string]string, start, last string) []string {
	path := []string{last}
	for path[0] != start {
		path = append([]string{prev[path[0]]}, path...)
	}
	return path
}
