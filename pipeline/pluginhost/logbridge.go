package pluginhost

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"sync"

	hclog "github.com/hashicorp/go-hclog"
)

// hclogToSlog lets go-plugin, which logs through hclog, write into the
// slog.Logger the host was given.
type hclogToSlog struct {
	l    *slog.Logger
	name string
	args []any
}

func newHCLogAdapter(l *slog.Logger, name string) hclog.Logger {
	return &hclogToSlog{l: l, name: name}
}

func toSlogLevel(level hclog.Level) slog.Level {
	switch level {
	case hclog.Trace:
		return slog.LevelDebug - 4
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

func (a *hclogToSlog) Log(level hclog.Level, msg string, args ...any) {
	lv := toSlogLevel(level)
	ctx := context.Background()
	if !a.l.Enabled(ctx, lv) {
		return
	}
	all := make([]any, 0, len(a.args)+len(args)+2)
	if a.name != "" {
		all = append(all, "logger", a.name)
	}
	all = append(append(all, a.args...), args...)
	a.l.Log(ctx, lv, msg, all...)
}

func (a *hclogToSlog) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }
func (a *hclogToSlog) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }
func (a *hclogToSlog) Info(msg string, args ...any)  { a.Log(hclog.Info, msg, args...) }
func (a *hclogToSlog) Warn(msg string, args ...any)  { a.Log(hclog.Warn, msg, args...) }
func (a *hclogToSlog) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }

func (a *hclogToSlog) enabled(level hclog.Level) bool {
	return a.l.Enabled(context.Background(), toSlogLevel(level))
}

func (a *hclogToSlog) IsTrace() bool         { return a.enabled(hclog.Trace) }
func (a *hclogToSlog) IsDebug() bool         { return a.enabled(hclog.Debug) }
func (a *hclogToSlog) IsInfo() bool          { return a.enabled(hclog.Info) }
func (a *hclogToSlog) IsWarn() bool          { return a.enabled(hclog.Warn) }
func (a *hclogToSlog) IsError() bool         { return a.enabled(hclog.Error) }
func (a *hclogToSlog) ImpliedArgs() []any    { return a.args }
func (a *hclogToSlog) Name() string          { return a.name }
func (a *hclogToSlog) SetLevel(hclog.Level)  {}
func (a *hclogToSlog) GetLevel() hclog.Level { return a.level() }

func (a *hclogToSlog) level() hclog.Level {
	for _, lv := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn, hclog.Error} {
		if a.enabled(lv) {
			return lv
		}
	}
	return hclog.Off
}

func (a *hclogToSlog) With(args ...any) hclog.Logger {
	return &hclogToSlog{l: a.l, name: a.name, args: append(append([]any{}, a.args...), args...)}
}

func (a *hclogToSlog) Named(name string) hclog.Logger {
	if a.name != "" {
		name = a.name + "." + name
	}
	return &hclogToSlog{l: a.l, name: name, args: a.args}
}

func (a *hclogToSlog) ResetNamed(name string) hclog.Logger {
	return &hclogToSlog{l: a.l, name: name, args: a.args}
}

func (a *hclogToSlog) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(a.StandardWriter(opts), "", 0)
}

func (a *hclogToSlog) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return &lineWriter{emit: func(line string) { a.Info(line) }}
}

// lineWriter splits a byte stream into lines and hands each to emit.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit func(line string)
}

// maxLine bounds a buffered partial line so a plugin writing without
// newlines cannot grow host memory.
const maxLine = 64 << 10

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(string(bytes.TrimRight(w.buf[:i], "\r")))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > maxLine {
		w.emit(string(w.buf))
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

// tail keeps the last lines a plugin wrote to stderr for error messages.
type tail struct {
	mu    sync.Mutex
	lines []string
	max   int
}

func newTail(max int) *tail { return &tail{max: max} }

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

func (t *tail) snapshot() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.lines...)
}
