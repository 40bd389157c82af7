// Package dag holds a small directed acyclic graph of string-named vertices:
// edges, cycle detection that names the cycle, a deterministic topological
// order, a parallel walker that skips the dependants of a failed vertex, and
// DOT and Mermaid renderers. It knows nothing about what the vertices mean.
package dag
