package sdk

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/llmflow/llmflow/plugins/sdk/proto/stagev1"
)

// grpcServer adapts a Stage to the generated gRPC service.
type grpcServer struct {
	stagev1.UnimplementedStageServer
	impl Stage

	mu      sync.Mutex
	stopped bool
	cancels map[int]context.CancelFunc
	nextID  int
}

func newGRPCServer(impl Stage) *grpcServer {
	return &grpcServer{impl: impl, cancels: map[int]context.CancelFunc{}}
}

func (s *grpcServer) Describe(ctx context.Context, _ *stagev1.DescribeRequest) (resp *stagev1.DescribeResponse, err error) {
	defer recoverAsStatus(&err)
	d, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, status.Errorf(codes.Unknown, "describe: %v", err)
	}
	if d == nil {
		return nil, status.Error(codes.Internal, "describe returned no description")
	}
	resp, err = descriptionToProto(d)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "describe: %v", err)
	}
	return resp, nil
}

func (s *grpcServer) Validate(ctx context.Context, req *stagev1.ValidateRequest) (resp *stagev1.ValidateResponse, err error) {
	defer recoverAsStatus(&err)
	cfg, err := DecodeValue(req.Config)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "config: %v", err)
	}
	cfg, err = s.withDefaults(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &stagev1.ValidateResponse{Diagnostics: diagnosticsToProto(s.impl.Validate(ctx, cfg))}, nil
}

func (s *grpcServer) Run(req *stagev1.RunRequest, stream stagev1.Stage_RunServer) (err error) {
	defer recoverAsStatus(&err)
	cfg, err := DecodeValue(req.Config)
	if err != nil {
		return status.Errorf(codes.InvalidArgument, "config: %v", err)
	}
	ctx, done, err := s.startRun(stream.Context())
	if err != nil {
		return err
	}
	defer done()
	if cfg, err = s.withDefaults(ctx, cfg); err != nil {
		return err
	}
	rr := &RunRequest{Config: cfg, OutputDir: req.OutputDir, Seed: req.Seed, Inputs: map[string]Input{}}
	for name, in := range req.Inputs {
		rr.Inputs[name] = Input{Path: in.Path, Digest: in.Digest, Kind: in.Kind}
	}
	ev := &streamEvents{stream: stream}
	runErr := s.impl.Run(ctx, rr, ev)
	if sendErr := ev.err(); sendErr != nil && runErr == nil {
		runErr = fmt.Errorf("send event: %w", sendErr)
	}
	switch {
	case runErr == nil:
		return nil
	case errors.Is(runErr, context.Canceled) && ctx.Err() != nil:
		return status.Error(codes.Canceled, "stopped")
	default:
		return status.Error(codes.Unknown, runErr.Error())
	}
}

func (s *grpcServer) Stop(context.Context, *stagev1.StopRequest) (*stagev1.StopResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	for _, cancel := range s.cancels {
		cancel()
	}
	return &stagev1.StopResponse{}, nil
}

// startRun registers a cancellable run context so Stop can reach it.
func (s *grpcServer) startRun(parent context.Context) (context.Context, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil, nil, status.Error(codes.Canceled, "stopped before the run started")
	}
	ctx, cancel := context.WithCancel(parent)
	id := s.nextID
	s.nextID++
	s.cancels[id] = cancel
	return ctx, func() {
		s.mu.Lock()
		delete(s.cancels, id)
		s.mu.Unlock()
		cancel()
	}, nil
}

// withDefaults fills absent attributes so stages see the documented defaults
// even when a host sends a config it did not decode against the schema.
func (s *grpcServer) withDefaults(ctx context.Context, cfg cty.Value) (cty.Value, error) {
	d, err := s.impl.Describe(ctx)
	if err != nil || d == nil {
		return cfg, status.Errorf(codes.Internal, "describe: %v", err)
	}
	out, err := d.ApplyDefaults(cfg)
	if err != nil {
		return cfg, status.Errorf(codes.InvalidArgument, "config: %v", err)
	}
	return out, nil
}

// recoverAsStatus turns a panic in a handler into an error naming it, so the
// host sees "stage panicked: ..." with the stack rather than a dead process.
func recoverAsStatus(err *error) {
	if r := recover(); r != nil {
		*err = status.Errorf(codes.Internal, "stage panicked: %v\n%s", r, debug.Stack())
	}
}

// streamEvents sends events on a Run stream; gRPC streams are not safe for
// concurrent sends, and stages may report from several goroutines.
type streamEvents struct {
	mu      sync.Mutex
	stream  stagev1.Stage_RunServer
	sendErr error
}

func (e *streamEvents) send(ev *stagev1.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sendErr == nil {
		e.sendErr = e.stream.Send(ev)
	}
}

func (e *streamEvents) err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sendErr
}

func (e *streamEvents) Progress(done, total int64, unit string) {
	e.send(&stagev1.Event{Event: &stagev1.Event_Progress{Progress: &stagev1.Progress{Done: done, Total: total, Unit: unit}}})
}

func (e *streamEvents) Metric(step int64, name string, value float64) {
	e.send(&stagev1.Event{Event: &stagev1.Event_Metric{Metric: &stagev1.Metric{Step: step, Name: name, Value: value}}})
}

func (e *streamEvents) Log(line string) {
	e.send(&stagev1.Event{Event: &stagev1.Event_Log{Log: &stagev1.Log{Line: line}}})
}

func (e *streamEvents) Output(name, path, kind string) {
	e.send(&stagev1.Event{Event: &stagev1.Event_Output{Output: &stagev1.Output{Name: name, Path: path, Kind: kind}}})
}
