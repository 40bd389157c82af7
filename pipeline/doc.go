// Package pipeline turns an HCL pipeline file into a graph of nodes, a plan
// and a run.
//
// Loading (Load, LoadFile) is static: it decodes the blocks, resolves the
// references between them into graph edges and reports every problem as an
// hcl.Diagnostic with a source range, all at once. Binding (Config.Bind)
// evaluates variables, locals and each node's configuration. Planning
// (Planner) computes cache keys and tells, per node, whether it is cached or
// will run and why; it writes nothing. The Engine executes a plan, emitting
// events through a Hook; it never prints.
//
// Node types other than stage are registered with RegisterBlockType, one
// small file per type (see node_dataset.go); stage nodes run through a
// StageRunner, which the plugin host implements.
package pipeline
