package redact

import (
	"context"
	"fmt"
	"log/slog"
)

// Handler is a slog.Handler that redacts the message and every attribute
// value of a record before passing it on. Use it for output that carries
// text from outside the process, such as plugin log lines.
type Handler struct {
	next slog.Handler
	set  *Set
	// ops are the WithAttrs and WithGroup calls, applied to next at each
	// Handle: a secret added after a logger was derived is still redacted.
	ops []func(slog.Handler) slog.Handler
}

// NewHandler returns a Handler that redacts s's secrets and writes to next.
func NewHandler(next slog.Handler, s *Set) *Handler { return &Handler{next: next, set: s} }

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	next := h.next
	for _, op := range h.ops {
		next = op(next)
	}
	if h.set.Empty() {
		return next.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, h.set.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return next.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	attrs = append([]slog.Attr(nil), attrs...)
	return h.with(func(next slog.Handler) slog.Handler {
		red := make([]slog.Attr, len(attrs))
		for i, a := range attrs {
			red[i] = h.attr(a)
		}
		return next.WithAttrs(red)
	})
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return h.with(func(next slog.Handler) slog.Handler { return next.WithGroup(name) })
}

func (h *Handler) with(op func(slog.Handler) slog.Handler) *Handler {
	ops := append(append([]func(slog.Handler) slog.Handler(nil), h.ops...), op)
	return &Handler{next: h.next, set: h.set, ops: ops}
}

func (h *Handler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.set.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, ga := range g {
			red[i] = h.attr(ga)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		// Errors, byte slices, structs: their text is what gets written.
		return slog.String(a.Key, h.set.String(fmt.Sprint(v.Any())))
	}
	return slog.Attr{Key: a.Key, Value: v}
}
