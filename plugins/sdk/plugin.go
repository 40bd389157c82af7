package sdk

import (
	"context"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/llmflow/llmflow/plugins/sdk/proto/stagev1"
)

// GRPCStagePlugin is the go-plugin binding of the Stage service. Plugins set
// Impl; hosts leave it nil and get a *RemoteStage from Dispense.
type GRPCStagePlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Stage
}

// GRPCServer registers the stage on s.
func (p *GRPCStagePlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	stagev1.RegisterStageServer(s, newGRPCServer(p.Impl))
	return nil
}

// GRPCClient returns a *RemoteStage over conn.
func (p *GRPCStagePlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &RemoteStage{client: stagev1.NewStageClient(conn)}, nil
}
