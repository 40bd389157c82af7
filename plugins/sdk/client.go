package sdk

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc"

	"github.com/llmflow/llmflow/plugins/sdk/proto/stagev1"
)

// RemoteStage is the host's view of a stage in a plugin process. Errors are
// returned as gRPC status errors so the host can tell a stage failure
// (codes.Unknown), a stop (codes.Canceled) and a broken transport
// (codes.Unavailable) apart.
type RemoteStage struct {
	client stagev1.StageClient
}

// NewRemoteStage wraps a gRPC connection to a stage service.
func NewRemoteStage(conn grpc.ClientConnInterface) *RemoteStage {
	return &RemoteStage{client: stagev1.NewStageClient(conn)}
}

// Describe asks the stage for its description.
func (r *RemoteStage) Describe(ctx context.Context) (*Description, error) {
	resp, err := r.client.Describe(ctx, &stagev1.DescribeRequest{})
	if err != nil {
		return nil, err
	}
	d, err := descriptionFromProto(resp)
	if err != nil {
		return nil, fmt.Errorf("invalid description: %w", err)
	}
	return d, nil
}

// Validate asks the stage to check cfg.
func (r *RemoteStage) Validate(ctx context.Context, cfg cty.Value) (Diagnostics, error) {
	dv, err := EncodeValue(cfg)
	if err != nil {
		return nil, err
	}
	resp, err := r.client.Validate(ctx, &stagev1.ValidateRequest{Config: dv})
	if err != nil {
		return nil, err
	}
	return diagnosticsFromProto(resp.Diagnostics), nil
}

// Run runs the stage, delivering its events to ev (which may be nil) as they
// arrive, and returns the outputs it reported.
func (r *RemoteStage) Run(ctx context.Context, req *RunRequest, ev Events) ([]Output, error) {
	dv, err := EncodeValue(req.Config)
	if err != nil {
		return nil, err
	}
	pr := &stagev1.RunRequest{Config: dv, OutputDir: req.OutputDir, Seed: req.Seed, Inputs: map[string]*stagev1.Input{}}
	for name, in := range req.Inputs {
		pr.Inputs[name] = &stagev1.Input{Path: in.Path, Digest: in.Digest, Kind: in.Kind}
	}
	stream, err := r.client.Run(ctx, pr)
	if err != nil {
		return nil, err
	}
	var outs []Output
	for {
		e, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return outs, nil
		}
		if err != nil {
			return outs, err
		}
		switch e := e.Event.(type) {
		case *stagev1.Event_Progress:
			if ev != nil {
				ev.Progress(e.Progress.Done, e.Progress.Total, e.Progress.Unit)
			}
		case *stagev1.Event_Metric:
			if ev != nil {
				ev.Metric(e.Metric.Step, e.Metric.Name, e.Metric.Value)
			}
		case *stagev1.Event_Log:
			if ev != nil {
				ev.Log(e.Log.Line)
			}
		case *stagev1.Event_Output:
			o := Output{Name: e.Output.Name, Path: e.Output.Path, Kind: e.Output.Kind}
			outs = append(outs, o)
			if ev != nil {
				ev.Output(o.Name, o.Path, o.Kind)
			}
		}
	}
}

// Stop asks every run in the plugin to finish and return.
func (r *RemoteStage) Stop(ctx context.Context) error {
	_, err := r.client.Stop(ctx, &stagev1.StopRequest{})
	return err
}
