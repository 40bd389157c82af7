package pluginhost

import (
	"fmt"
	"strings"
	"sync"

	"github.com/llmflow/llmflow/internal/redact"
)

// Kind classifies why a plugin call failed, so the engine can decide about
// retries: a crash or timeout may pass on a retry, a checksum never will.
type Kind int

// Failure kinds.
const (
	KindInternal  Kind = iota // a bug in llmflow or an unexpected host-side failure
	KindNotFound              // the plugin binary or built-in stage does not exist
	KindChecksum              // the binary does not match its pinned sha256
	KindHandshake             // the process did not speak the go-plugin handshake
	KindProtocol              // the plugin speaks another stage protocol version
	KindExit                  // the process exited (non-zero or early)
	KindCrash                 // the process panicked or died of a signal
	KindTimeout               // a start or node timeout passed
	KindCanceled              // the caller cancelled
	KindStage                 // the stage ran and reported an error
	KindPanic                 // the stage panicked inside a call (process survived)
)

var kindNames = [...]string{"internal", "not found", "checksum", "handshake", "protocol", "exit", "crash", "timeout", "canceled", "stage", "panic"}

// String names the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a failed plugin call. Its message names the plugin, what the
// host was doing, and the cause; Stderr holds the last lines the plugin
// wrote there, for a detailed view.
type Error struct {
	Plugin string // plugin name as the pipeline calls it
	Op     string // "start", "describe", "validate", "run"
	Kind   Kind
	Err    error
	Stderr []string
}

// Error renders the failure on one line, followed by the plugin's last
// stderr lines when the process died or broke the handshake.
func (e *Error) Error() string {
	msg := fmt.Sprintf("plugin %q: %s: %v", e.Plugin, e.Op, e.Err)
	if len(e.Stderr) > 0 && (e.Kind == KindExit || e.Kind == KindCrash || e.Kind == KindHandshake) {
		msg += "\nlast lines of the plugin's stderr:\n  " + strings.Join(e.Stderr, "\n  ")
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// stderrLog collects a plugin's stderr for error messages: the last lines,
// and the first panic or fatal error line, which a long stack trace would
// push out of the tail.
type stderrLog struct {
	tail    *tail
	secrets *redact.Set

	mu    sync.Mutex
	panic string
}

func newStderrLog(secrets *redact.Set) *stderrLog {
	return &stderrLog{tail: newTail(20), secrets: secrets}
}

func (s *stderrLog) add(line string) {
	line = s.secrets.String(line)
	if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
		s.mu.Lock()
		if s.panic == "" {
			s.panic = line
		}
		s.mu.Unlock()
	}
	s.tail.add(line)
}

func (s *stderrLog) panicLine() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.panic
}
