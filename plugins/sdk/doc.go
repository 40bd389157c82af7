// Package sdk is the contract between llmflow and a stage plugin.
//
// A stage is a separate process that speaks the Stage v1 gRPC service
// (proto/stage.proto) over hashicorp/go-plugin. Plugin authors implement the
// small Stage interface and call Serve from main:
//
//	func main() { sdk.Serve(myStage{}) }
//
// The host learns a stage's config schema, inputs and outputs from Describe,
// checks a config with Validate, and runs it with Run, which streams progress,
// metrics, log lines and finally the produced outputs. Config values cross as
// cty msgpack with their type as JSON. Bulk data never crosses the protocol:
// a stage reads its inputs from the paths in the request and writes each
// output into a directory under RunRequest.OutputDir.
//
// The handshake constants in this package never change within a protocol
// version; a new incompatible protocol gets a new version number and a new
// entry in the versioned plugin sets.
package sdk
