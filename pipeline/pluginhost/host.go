package pluginhost

import (
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/llmflow/llmflow/internal/redact"
)

// Host starts plugin processes. It is safe for concurrent use; each Open
// starts its own process.
type Host struct {
	logger       *slog.Logger
	builtinPath  string
	builtinArgs  []string
	env          []string
	startTimeout time.Duration
	callTimeout  time.Duration
	stopGrace    time.Duration
	sums         sumCache
	cert         hostCert
	secrets      *redact.Set
}

// Option configures a Host.
type Option func(*Host)

// New returns a Host. Without options, built-in stages are served by
// re-executing the running binary as `<exe> plugin serve NAME`, plugin logs
// are discarded, a plugin has 30 s to complete its handshake and 10 s to
// stop after a cancelled run.
func New(opts ...Option) *Host {
	h := &Host{
		logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		builtinArgs:  []string{"plugin", "serve"},
		startTimeout: 30 * time.Second,
		callTimeout:  30 * time.Second,
		stopGrace:    10 * time.Second,
	}
	for _, o := range opts {
		o(h)
	}
	if h.secrets != nil {
		h.logger = slog.New(redact.NewHandler(h.logger.Handler(), h.secrets))
	}
	return h
}

// WithLogger sends go-plugin's own log and each plugin's stderr and stdout
// to l (attribute "plugin" names the plugin).
func WithLogger(l *slog.Logger) Option {
	return func(h *Host) {
		if l != nil {
			h.logger = l
		}
	}
}

// WithRedaction replaces the secrets in s (which may grow later) in
// everything the host passes on from a plugin: log lines bridged from its
// stdout, stderr and go-plugin logger, and the stderr lines quoted in
// errors.
func WithRedaction(s *redact.Set) Option { return func(h *Host) { h.secrets = s } }

// WithBuiltinCommand sets the binary and leading arguments that serve a
// built-in stage; the stage name is appended. Tests use it to point at a
// binary built for them.
func WithBuiltinCommand(path string, args ...string) Option {
	return func(h *Host) { h.builtinPath, h.builtinArgs = path, args }
}

// WithEnv adds names (a trailing "*" matches a prefix) to the environment
// allowlist of every plugin, on top of DefaultEnv.
func WithEnv(names ...string) Option {
	return func(h *Host) { h.env = append(h.env, names...) }
}

// WithStartTimeout bounds the time from exec to a completed handshake.
func WithStartTimeout(d time.Duration) Option { return func(h *Host) { h.startTimeout = d } }

// WithCallTimeout bounds Describe and Validate calls.
func WithCallTimeout(d time.Duration) Option { return func(h *Host) { h.callTimeout = d } }

// WithStopGrace sets how long a cancelled or timed-out run may take to
// stop after the Stop call before its process is killed.
func WithStopGrace(d time.Duration) Option { return func(h *Host) { h.stopGrace = d } }

// builtinCommand returns the binary and arguments serving built-in name.
func (h *Host) builtinCommand(name string) (string, []string, error) {
	path := h.builtinPath
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", nil, err
		}
		path = exe
	}
	return path, append(append([]string(nil), h.builtinArgs...), name), nil
}
