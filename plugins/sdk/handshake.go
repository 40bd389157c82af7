package sdk

import (
	plugin "github.com/hashicorp/go-plugin"
)

// ProtocolVersion is the Stage protocol version this package speaks.
const ProtocolVersion = 1

// PluginName is the key under which the stage is dispensed from a plugin set.
const PluginName = "stage"

// Handshake is shared by host and plugin. The cookie is not a security
// measure: it only stops a user from running a plugin binary by hand and
// getting a confusing hang instead of a message.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "LLMFLOW_STAGE_PLUGIN",
	MagicCookieValue: "6f1d0c7e5b3a49a8b2f4e7d19c0a5e3b",
}

// MaxMessageSize bounds a single gRPC message in either direction. Messages
// carry configs and paths only, but a large config (a vocabulary list, a
// long prompt set) must not hit gRPC's 4 MiB default.
const MaxMessageSize = 64 << 20

// ServerPluginSets returns the versioned plugin sets a plugin process serves
// for impl.
func ServerPluginSets(impl Stage) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolVersion: {PluginName: &GRPCStagePlugin{Impl: impl}},
	}
}

// ClientPluginSets returns the versioned plugin sets a host accepts.
func ClientPluginSets() map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolVersion: {PluginName: &GRPCStagePlugin{}},
	}
}
