package pluginhost

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	plugin "github.com/hashicorp/go-plugin"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/plugins/sdk"
)

// Client is one running plugin process. Describe, Identity and Validate may
// be called concurrently; Run is meant to be called once per Client (one
// node), though the protocol allows more. Close must be called.
type Client struct {
	host   *Host
	spec   PluginSpec
	path   string
	sum    string
	log    *slog.Logger
	cmd    *exec.Cmd
	pc     *plugin.Client
	pid    int
	remote *sdk.RemoteStage
	desc   *sdk.Description
	stderr *stderrLog

	startTimeout time.Duration
	tlsPipe      *os.File

	closeOnce sync.Once
}

// Identity says which implementation ran a node; the engine records it and
// folds SHA256 into the node's cache key.
type Identity struct {
	Name     string // plugin name in the pipeline
	Stage    string // name the stage describes itself with
	Version  string // version the stage describes itself with
	Source   string // "builtin" or the source as written
	Path     string // absolute path of the binary that ran
	SHA256   string // "sha256:<hex>" of that binary
	Protocol int    // negotiated stage protocol version
}

// Identity returns the plugin's identity.
func (c *Client) Identity() Identity {
	src := c.spec.Source
	if c.spec.IsBuiltin() {
		src = SourceBuiltin
	}
	return Identity{
		Name: c.spec.Name, Stage: c.desc.Name, Version: c.desc.Version, Source: src,
		Path: c.path, SHA256: c.sum, Protocol: c.pc.NegotiatedVersion(),
	}
}

// Describe returns the description fetched when the plugin was opened.
func (c *Client) Describe() *sdk.Description { return c.desc }

func (c *Client) describe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.host.callTimeout)
	defer cancel()
	d, err := c.remote.Describe(ctx)
	if err != nil {
		return c.callError(ctx, "describe", err)
	}
	c.desc = d
	return nil
}

// Validate asks the plugin to check cfg, an object conforming to the
// described schema (see ConfigSpec). The returned error is about the call
// itself; problems with cfg come back as diagnostics.
func (c *Client) Validate(ctx context.Context, cfg cty.Value) (sdk.Diagnostics, error) {
	ctx, cancel := context.WithTimeout(ctx, c.host.callTimeout)
	defer cancel()
	diags, err := c.remote.Validate(ctx, cfg)
	if err != nil {
		return nil, c.callError(ctx, "validate", err)
	}
	return diags, nil
}

// Close ends the plugin process: a graceful shutdown over the connection
// first, then a kill of its whole process group. Safe to call more than once.
func (c *Client) Close() error {
	c.kill()
	return nil
}

func (c *Client) kill() {
	c.closeOnce.Do(func() {
		c.pc.Kill()
		killGroup(c.pid)
	})
}

// waitExit gives a dying process a moment to be reaped so its exit status
// and last stderr lines are known when the error is built.
func (c *Client) waitExit() bool {
	deadline := time.Now().Add(2 * time.Second)
	for !c.pc.Exited() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// exitKind classifies an exited process: a panic or a signal is a crash.
func (c *Client) exitKind() Kind {
	if c.stderr.panicLine() != "" {
		return KindCrash
	}
	if st := c.exitStatus(); st != nil {
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return KindCrash
		}
	}
	return KindExit
}

// exitStatus is only read after Exited reports true: go-plugin sets that
// under its lock after cmd.Wait, which orders the ProcessState write first.
func (c *Client) exitStatus() *os.ProcessState {
	if !c.pc.Exited() {
		return nil
	}
	return c.cmd.ProcessState
}

// exitDescription says how the process ended, in words.
func (c *Client) exitDescription() string {
	var b strings.Builder
	if p := c.stderr.panicLine(); p != "" {
		b.WriteString("crashed with " + p)
		if st := c.exitStatus(); st != nil {
			fmt.Fprintf(&b, " (%s)", st.String())
		}
		return b.String()
	}
	st := c.exitStatus()
	if st == nil {
		return "exited"
	}
	if st.ExitCode() >= 0 {
		return fmt.Sprintf("exited with status %d", st.ExitCode())
	}
	return "was " + st.String()
}

func (c *Client) fail(op string, kind Kind, err error) *Error {
	e := &Error{Plugin: c.spec.Name, Op: op, Kind: kind, Err: err}
	if kind == KindExit || kind == KindCrash || kind == KindHandshake {
		e.Stderr = c.stderr.tail.snapshot()
	}
	return e
}

// PID returns the plugin's process id, for diagnostics.
func (c *Client) PID() int { return c.pid }
