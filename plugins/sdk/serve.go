package sdk

import (
	"os"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Serve serves s as a stage plugin on the process's stdio handshake and
// returns only when the host is done with it (go-plugin exits the process).
// Run by hand, without the host's handshake cookie, it prints an explanation
// and exits 1.
func Serve(s Stage) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: ServerPluginSets(s),
		TLSProvider:      hostTLSConfig,
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize))
			return grpc.NewServer(opts...)
		},
		// JSON lines on stderr let the host re-level plugin log entries.
		Logger: hclog.New(&hclog.LoggerOptions{
			Level:      hclog.Info,
			Output:     os.Stderr,
			JSONFormat: true,
		}),
	})
}
