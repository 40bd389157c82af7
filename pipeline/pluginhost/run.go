package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/llmflow/llmflow/plugins/sdk"
)

// RunRequest is one execution of a stage.
type RunRequest struct {
	Config    cty.Value            // object conforming to the described schema
	Inputs    map[string]sdk.Input // by input port name
	OutputDir string               // the stage writes each output in a directory under it
	Seed      int64
	// Timeout bounds the run (the node timeout); zero means only ctx bounds it.
	Timeout time.Duration
}

// EventSink receives a running stage's events. Calls come from one
// goroutine and never after Run returns.
type EventSink interface {
	Progress(done, total int64, unit string)
	Metric(step int64, name string, value float64)
	Log(line string)
}

// Output is an artifact directory a stage produced.
type Output = sdk.Output

// Run runs the stage and returns its outputs, checked against the
// description: each is a declared output, inside OutputDir, and exists, and
// every non-optional output is present. When ctx is cancelled or Timeout
// passes, the plugin is asked to Stop and given the host's stop grace
// before its process is killed; the error says which happened.
func (c *Client) Run(ctx context.Context, req RunRequest, sink EventSink) ([]Output, error) {
	outDir, err := filepath.Abs(req.OutputDir)
	if err != nil || req.OutputDir == "" {
		return nil, c.fail("run", KindInternal, fmt.Errorf("output directory %q is not usable: %v", req.OutputDir, err))
	}
	wait := ctx
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, req.Timeout)
		defer cancel()
	}
	// The stream gets its own context: cancelling it would abort the
	// plugin's handler at once, and a stop must let the stage save first.
	streamCtx, cancelStream := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelStream()

	type result struct {
		outs []Output
		err  error
	}
	done := make(chan result, 1)
	sreq := &sdk.RunRequest{Config: req.Config, Inputs: req.Inputs, OutputDir: outDir, Seed: req.Seed}
	go func() {
		outs, err := c.remote.Run(streamCtx, sreq, sinkEvents{sink})
		done <- result{outs, err}
	}()

	select {
	case r := <-done:
		if r.err != nil {
			return nil, c.callError(streamCtx, "run", r.err)
		}
		if err := checkOutputs(c.desc, outDir, r.outs); err != nil {
			return nil, c.fail("run", KindStage, err)
		}
		return r.outs, nil
	case <-wait.Done():
	}

	kind, why := KindCanceled, "cancelled"
	if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		kind, why = KindTimeout, "timed out"
		if req.Timeout > 0 && ctx.Err() == nil {
			why = fmt.Sprintf("timed out after %s", req.Timeout)
		}
	}
	grace := time.NewTimer(c.host.stopGrace)
	defer grace.Stop()
	stopCtx, cancelStop := context.WithTimeout(context.Background(), c.host.stopGrace)
	defer cancelStop()
	go func() { _ = c.remote.Stop(stopCtx) }()
	select {
	case <-done:
		return nil, c.fail("run", kind, fmt.Errorf("%s; the stage stopped", why))
	case <-grace.C:
	}
	c.kill()
	cancelStream()
	<-done
	return nil, c.fail("run", kind, fmt.Errorf("%s; the stage did not stop within %s and was killed", why, c.host.stopGrace))
}

// callError classifies an error from a call on the plugin.
func (c *Client) callError(ctx context.Context, op string, err error) error {
	st, _ := status.FromError(err)
	switch {
	case st.Code() == codes.Unavailable || c.pc.Exited():
		if c.waitExit() {
			return c.fail(op, c.exitKind(), fmt.Errorf("the plugin process %s during %s", c.exitDescription(), op))
		}
		return c.fail(op, KindCrash, fmt.Errorf("lost the connection to the plugin: %s", st.Message()))
	case st.Code() == codes.DeadlineExceeded || ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return c.fail(op, KindTimeout, fmt.Errorf("no answer within %s", c.host.callTimeout))
	case st.Code() == codes.Canceled:
		return c.fail(op, KindCanceled, errors.New(st.Message()))
	case st.Code() == codes.Internal && strings.HasPrefix(st.Message(), "stage panicked: "):
		first, stack, _ := strings.Cut(st.Message(), "\n")
		c.log.Error("stage panicked", "op", op, "stack", stack)
		return c.fail(op, KindPanic, errors.New(first))
	case st.Code() == codes.Unknown:
		return c.fail(op, KindStage, errors.New(st.Message()))
	}
	return c.fail(op, KindInternal, fmt.Errorf("%s: %s", st.Code(), st.Message()))
}

// checkOutputs holds a plugin to its description and to its output
// directory: the engine moves these paths into the store and must not be
// pointed at arbitrary files.
func checkOutputs(d *sdk.Description, outDir string, outs []Output) error {
	seen := map[string]bool{}
	for i := range outs {
		o := &outs[i]
		port, ok := d.Output(o.Name)
		if !ok {
			return fmt.Errorf("reported output %q, which its description does not declare", o.Name)
		}
		if seen[o.Name] {
			return fmt.Errorf("reported output %q twice", o.Name)
		}
		seen[o.Name] = true
		if o.Kind == "" {
			o.Kind = port.Kind
		} else if port.Kind != "" && o.Kind != port.Kind {
			return fmt.Errorf("output %q has kind %q, but its description declares %q", o.Name, o.Kind, port.Kind)
		}
		p := o.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(outDir, p)
		}
		p = filepath.Clean(p)
		rel, err := filepath.Rel(outDir, p)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("output %q at %s is not inside the output directory %s", o.Name, o.Path, outDir)
		}
		// Lstat: a symlink in the output directory could point the engine
		// at files anywhere on the machine.
		fi, err := os.Lstat(p)
		if err != nil {
			return fmt.Errorf("output %q: %v", o.Name, err)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("output %q at %s is a symbolic link; outputs must be real files or directories", o.Name, o.Path)
		}
		o.Path = p
	}
	for _, port := range d.Outputs {
		if !port.Optional && !seen[port.Name] {
			return fmt.Errorf("finished without producing output %q", port.Name)
		}
	}
	return nil
}

// sinkEvents adapts an EventSink (which may be nil) to sdk.Events; outputs
// are returned by Run instead.
type sinkEvents struct{ s EventSink }

func (e sinkEvents) Progress(done, total int64, unit string) {
	if e.s != nil {
		e.s.Progress(done, total, unit)
	}
}

func (e sinkEvents) Metric(step int64, name string, value float64) {
	if e.s != nil {
		e.s.Metric(step, name, value)
	}
}

func (e sinkEvents) Log(line string) {
	if e.s != nil {
		e.s.Log(line)
	}
}

func (sinkEvents) Output(string, string, string) {}
