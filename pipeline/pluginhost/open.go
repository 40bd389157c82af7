package pluginhost

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/llmflow/llmflow/plugins/sdk"
)

// Open starts the plugin for spec, completes the handshake and fetches its
// description. A pinned checksum is verified before the binary is started.
// The caller must Close the returned Client.
func (h *Host) Open(ctx context.Context, spec PluginSpec) (*Client, error) {
	r, err := h.resolve(spec)
	if err != nil {
		return nil, err
	}
	if err := verifyChecksum(spec, r); err != nil {
		return nil, err
	}
	c := &Client{host: h, spec: spec, path: r.path, sum: r.sum, stderr: newStderrLog(h.secrets)}
	c.log = h.logger.With("plugin", spec.Name)
	cmd := exec.Command(r.path, r.args...)
	cmd.Env = pluginEnv(h.env, spec.Env)
	cmd.SysProcAttr = sysProcAttr()
	c.cmd = cmd
	cfg, err := h.clientConfig(c, cmd, spec)
	if err != nil {
		return nil, c.fail("start", KindInternal, err)
	}
	// go-plugin's start cannot be cancelled, so a caller's deadline at
	// least shortens the handshake timeout.
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < cfg.StartTimeout {
		cfg.StartTimeout = max(time.Until(dl), time.Millisecond)
	}
	c.startTimeout = cfg.StartTimeout
	c.pc = plugin.NewClient(cfg)

	err = c.start()
	// The child has its copy of the pipe (or never will); the host's goes.
	c.tlsPipe.Close()
	if err != nil {
		c.kill()
		return nil, err
	}
	if err := c.describe(ctx); err != nil {
		c.kill()
		return nil, err
	}
	return c, nil
}

// Verify checks, without starting anything, what Open checks before it
// starts the plugin for spec: that its binary exists and matches a pinned
// checksum.
func (h *Host) Verify(spec PluginSpec) error {
	r, err := h.resolve(spec)
	if err != nil {
		return err
	}
	return verifyChecksum(spec, r)
}

// verifyChecksum refuses a binary that does not match its pin. go-plugin's
// SecureConfig checks again right before exec, but its error does not say
// which plugin or which sums.
func verifyChecksum(spec PluginSpec, r *resolved) error {
	if spec.Checksum == "" {
		return nil
	}
	if _, err := ParseChecksum(spec.Checksum); err != nil {
		return &Error{Plugin: spec.Name, Op: "start", Kind: KindChecksum, Err: err}
	}
	if !strings.EqualFold(spec.Checksum, r.sum) {
		return &Error{Plugin: spec.Name, Op: "start", Kind: KindChecksum, Err: fmt.Errorf(
			"checksum mismatch for %s: pinned %s, but the file has %s; the binary was not started "+
				"(if the binary changed on purpose, update the plugin block's checksum or run `llmflow plugins lock`)",
			r.path, spec.Checksum, r.sum)}
	}
	return nil
}

func (h *Host) clientConfig(c *Client, cmd *exec.Cmd, spec PluginSpec) (*plugin.ClientConfig, error) {
	logger := newHCLogAdapter(c.log, "")
	tlsConfig, pipe, err := h.setupTLS(c)
	if err != nil {
		return nil, err
	}
	c.tlsPipe = pipe
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: sdk.ClientPluginSets(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		TLSConfig:        tlsConfig,
		SkipHostEnv:      true,
		StartTimeout:     h.startTimeout,
		Logger:           logger,
		// Raw stderr carries what bypasses the stdio stream: runtime panics
		// and fatal errors, and anything printed before Serve.
		Stderr:     &lineWriter{emit: c.stderr.add},
		SyncStderr: &lineWriter{emit: func(l string) { c.stderr.add(l); c.log.Info(l, "stream", "stderr") }},
		SyncStdout: &lineWriter{emit: func(l string) { c.log.Info(l, "stream", "stdout") }},
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(sdk.MaxMessageSize), grpc.MaxCallSendMsgSize(sdk.MaxMessageSize))},
	}
	if spec.Checksum != "" {
		want, _ := ParseChecksum(spec.Checksum)
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: want, Hash: sha256.New()}
	}
	return cfg, nil
}

// start runs the handshake and dispenses the stage, classifying failures.
func (c *Client) start() error {
	rpc, err := c.pc.Client()
	if err != nil {
		return c.startError(err)
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		return c.fail("start", KindHandshake, fmt.Errorf("dispense stage: %w", err))
	}
	rs, ok := raw.(*sdk.RemoteStage)
	if !ok {
		return c.fail("start", KindInternal, fmt.Errorf("dispensed %T; this is a bug in llmflow", raw))
	}
	c.remote = rs
	if c.cmd.Process != nil {
		c.pid = c.cmd.Process.Pid
	}
	return nil
}

// startError turns go-plugin's start errors, which are plain strings, into
// messages a user can act on.
func (c *Client) startError(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		return c.fail("start", KindChecksum, fmt.Errorf("%s changed after it was verified; the binary was not started", c.path))
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return c.fail("start", KindTimeout, fmt.Errorf("no handshake within %s; the plugin hangs or is not an llmflow stage plugin", c.startTimeout))
	case strings.Contains(msg, "plugin exited before we could connect"),
		strings.Contains(msg, "Failed to read any lines from plugin's stdout"):
		// A closed stdout with no handshake line is almost always an exit.
		if !c.waitExit() {
			return c.fail("start", KindHandshake, errors.New("closed its stdout without the go-plugin handshake"))
		}
		return c.fail("start", c.exitKind(), fmt.Errorf("%s before the handshake", c.exitDescription()))
	case strings.HasPrefix(msg, "Unrecognized remote plugin message"):
		first, _, _ := strings.Cut(strings.TrimPrefix(msg, "Unrecognized remote plugin message: "), "\n")
		return c.fail("start", KindHandshake, fmt.Errorf(
			"printed %q instead of the go-plugin handshake; is %s an llmflow stage plugin built with plugins/sdk?",
			truncate(first, 120), c.path))
	case strings.Contains(msg, "incompatible API version"):
		theirs := "another version"
		if _, v, ok := strings.Cut(msg, "Plugin version: "); ok {
			theirs = "version " + strings.TrimSpace(strings.Split(v, ",")[0])
		}
		return c.fail("start", KindProtocol, fmt.Errorf(
			"speaks stage protocol %s, but this llmflow speaks version %d: rebuild the plugin against a matching plugins/sdk",
			theirs, sdk.ProtocolVersion))
	case strings.Contains(msg, "incompatible core API version"):
		return c.fail("start", KindProtocol, fmt.Errorf("speaks another go-plugin core protocol: %s", firstLine(msg)))
	}
	return c.fail("start", KindHandshake, err)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
