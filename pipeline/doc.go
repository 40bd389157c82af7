// Package pipeline turns an HCL pipeline file into a graph of nodes, a plan
// and a run.
//
// # Phases
//
// Load (LoadFile) is static: it decodes the blocks, resolves the references
// between them into graph edges and reports every problem as an
// hcl.Diagnostic with a source range, all at once. Config.Bind evaluates
// variables (defaults, LLMFLOW_VAR_name, -var-file, -var; see VarInputs),
// locals and each node's configuration. Planner.Plan decodes stage configs
// against their plugin's schema, computes cache keys and tells, per node,
// whether it is cached, will run (and why) or is blocked; it writes
// nothing. Planner.Check runs Plan's stage and edge checks alone, without
// store or source files, for validate. Engine.Run executes a plan with a parallelism bound, retries,
// timeouts and on_failure handling, and reports through a Hook; it never
// prints. A Recorder hook writes the run into the run store.
//
// # Node types
//
// Every block type other than variable, locals, plugin, stage and output is
// a BlockType registered from one small file's init function:
//
//	func init() {
//		RegisterBlockType(BlockType{
//			Name:      "clean",
//			Inputs:    []Port{{Name: "input", Kind: artifact.KindText, Required: true}},
//			Outputs:   []Port{{Name: "data", Kind: artifact.KindText}},
//			NewConfig: func() any { c := clean.DefaultConfig(); return &c }, // gohcl tags
//			Validate:  func(cfg any) error { return cfg.(*clean.Config).Validate() },
//			Run:       runClean, // func(ctx, *NodeRun) (output name -> digest, error)
//		})
//	}
//
// The input attributes hold references (input = dataset.web), or with
// Port.List a list of them (mix's inputs = [dataset.a, clean.b], inputs
// "inputs[0]", "inputs[1]", ...); the rest of the block decodes into the
// NewConfig struct and, as canonical JSON, goes into the node's cache key.
// node_dataset.go is the built-in example, node_mix.go the one with a list.
//
// # Stages
//
// stage "KIND" "NAME" blocks run through a StageRunner, which the plugin
// host implements: Describe gives the plugin's identity, binary checksum,
// config schema (an hcldec.Spec) and ports at plan time, Validate checks a
// decoded config, Run executes the stage in its own process.
//
// # Cache keys
//
// A node's key is the sha256 of its KeyParts: kind, plugin identity and
// binary checksum, canonical config, input artifact digests (and source
// file digests), seed. A node whose key is recorded in the store with all
// outputs present is not run again, which is also how a killed run
// resumes.
package pipeline
