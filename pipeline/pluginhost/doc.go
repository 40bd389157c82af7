// Package pluginhost starts stage plugins and talks to them.
//
// A Host opens a plugin process for a PluginSpec (a built-in stage, served by
// re-executing the llmflow binary, or an external binary pinned by sha256),
// and returns a Client for its Describe, Validate and Run calls. Every
// plugin runs over gRPC with automatic mTLS, a scrubbed environment, its own
// process group and a parent-death signal, so a plugin never outlives a
// killed host. A plugin that crashes, hangs or breaks the protocol surfaces
// as an *Error naming the plugin and the cause; the host process stays up.
//
// A node's life with the host:
//
//	h := pluginhost.New(pluginhost.WithLogger(log))
//	c, err := h.Open(ctx, pluginhost.PluginSpec{Name: "pretrain", Source: "builtin"})
//	defer c.Close()
//	spec := pluginhost.ConfigSpec(c.Describe())     // plan: hcldec.Decode(body, spec, evalCtx)
//	diags, err := c.Validate(ctx, cfg)              // plan: pluginhost.DiagnosticsToHCL(diags, ranges)
//	outs, err := c.Run(ctx, pluginhost.RunRequest{...}, sink)
//	id := c.Identity()                              // name, version, source, sha256 for the run record
//
// The package also converts a stage's described config schema to an hcldec
// spec (ConfigSpec) so a pipeline can check a config block at plan time, and
// reads and writes the lock file (.llmflow.lock.hcl) that pins the checksum
// of every external plugin on first use.
package pluginhost
