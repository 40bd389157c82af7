package dag

import (
	"context"
	"errors"
	"fmt"
)

// Status is the outcome of one vertex in a walk.
type Status int

// Vertex outcomes. Skipped vertices had a failed or skipped dependency;
// Cancelled vertices never started because the walk was halted or its
// context ended.
const (
	Pending Status = iota
	Succeeded
	Failed
	Skipped
	Cancelled
)

// String returns the lower-case status name.
func (s Status) String() string {
	return [...]string{"pending", "succeeded", "failed", "skipped", "cancelled"}[s]
}

// WalkFunc does the work of one vertex. It is called at most once per
// vertex, only after every dependency succeeded, and concurrently with
// other vertices up to the walk's parallelism.
type WalkFunc func(ctx context.Context, v string) error

// haltError asks the walker to start nothing new after this failure.
type haltError struct{ err error }

func (h *haltError) Error() string { return h.err.Error() }
func (h *haltError) Unwrap() error { return h.err }

// Halt wraps a vertex error so that the walk starts no further vertices;
// vertices already running finish normally.
func Halt(err error) error { return &haltError{err: err} }

// SkipError explains why a vertex did not run: Cause is the failed vertex
// upstream of it. It deliberately does not repeat the cause's error, so a
// failure is reported once rather than once per dependant.
type SkipError struct{ Cause string }

// Error names the failed vertex upstream.
func (e *SkipError) Error() string { return fmt.Sprintf("skipped: %s failed", e.Cause) }

// Result is the outcome of a walk. Err holds each failed vertex's error, a
// *SkipError for skipped vertices and the context error for cancelled ones.
type Result struct {
	Status map[string]Status
	Err    map[string]error
}

// Failed reports whether any vertex failed, was skipped or was cancelled.
func (r *Result) Failed() bool {
	for _, s := range r.Status {
		if s != Succeeded {
			return true
		}
	}
	return false
}

// WalkOption tunes a walk.
type WalkOption func(*walker)

// OnSkip registers a callback for each vertex skipped because of a failure
// upstream; it runs on the walker's goroutine.
func OnSkip(fn func(v, cause string)) WalkOption { return func(w *walker) { w.onSkip = fn } }

// Walk visits every vertex in dependency order, running up to parallelism
// vertices at once (at least 1). When a vertex fails, its descendants are
// skipped and independent branches keep going. When ctx ends or a vertex
// returns a Halt error, no new vertex starts. Walk waits for running
// vertices before it returns. The graph must be acyclic.
func (g *Graph) Walk(ctx context.Context, parallelism int, fn WalkFunc, opts ...WalkOption) *Result {
	w := &walker{g: g, fn: fn, par: max(parallelism, 1)}
	for _, o := range opts {
		o(w)
	}
	return w.run(ctx)
}

type walker struct {
	g      *Graph
	fn     WalkFunc
	par    int
	onSkip func(v, cause string)
	res    *Result
	cause  map[string]string // skipped vertex -> failed root
}

type done struct {
	v   string
	err error
}

func (w *walker) run(ctx context.Context) *Result {
	w.res = &Result{Status: map[string]Status{}, Err: map[string]error{}}
	w.cause = map[string]string{}
	waiting := map[string]int{}
	var ready []string
	for _, v := range w.g.Vertices() {
		w.res.Status[v] = Pending
		waiting[v] = len(w.g.up[v])
		if waiting[v] == 0 {
			ready = append(ready, v)
		}
	}
	results := make(chan done)
	running, halted := 0, false
	for {
		for !halted && ctx.Err() == nil && running < w.par && len(ready) > 0 {
			v := ready[0]
			ready = ready[1:]
			running++
			go func() { results <- done{v: v, err: w.call(ctx, v)} }()
		}
		if running == 0 {
			break
		}
		d := <-results
		running--
		var h *haltError
		if errors.As(d.err, &h) {
			halted = true
		}
		for _, next := range w.finish(d) {
			if waiting[next]--; waiting[next] == 0 && w.res.Status[next] == Pending {
				ready = insertSorted(ready, next)
			}
		}
	}
	w.cancelRest(ctx)
	return w.res
}

// call runs fn, turning a panic into an error so one vertex cannot take the
// process down.
func (w *walker) call(ctx context.Context, v string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in %s: %v; this is a bug in llmflow", v, r)
		}
	}()
	return w.fn(ctx, v)
}

// finish records an outcome and returns the dependants that may now be ready.
func (w *walker) finish(d done) []string {
	if d.err == nil {
		w.res.Status[d.v] = Succeeded
		return w.g.DependantsOf(d.v)
	}
	w.res.Status[d.v] = Failed
	w.res.Err[d.v] = d.err
	for _, desc := range w.g.Descendants(d.v) {
		if w.res.Status[desc] != Pending {
			continue
		}
		w.res.Status[desc] = Skipped
		w.res.Err[desc] = &SkipError{Cause: d.v}
		if w.onSkip != nil {
			w.onSkip(desc, d.v)
		}
	}
	return nil
}

func (w *walker) cancelRest(ctx context.Context) {
	err := ctx.Err()
	if err == nil {
		err = context.Canceled
	}
	for v, s := range w.res.Status {
		if s == Pending {
			w.res.Status[v] = Cancelled
			w.res.Err[v] = err
		}
	}
}
