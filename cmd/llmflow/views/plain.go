package views

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/llmflow/llmflow/pipeline"
)

// Plain writes one line per lifecycle event, for logs and pipes. Progress
// and metric events are summarised (at most one line per node every few
// seconds) so a long node does not flood the log.
type Plain struct {
	mu   sync.Mutex
	w    io.Writer
	last map[string]time.Time
	now  func() time.Time
}

// plainEvery is how often a node's progress is written.
const plainEvery = 5 * time.Second

// NewPlain returns a plain-lines view writing to w.
func NewPlain(w io.Writer) *Plain { return &Plain{w: w, last: map[string]time.Time{}, now: time.Now} }

func (p *Plain) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// RunStarted implements pipeline.Hook.
func (p *Plain) RunStarted(r pipeline.RunInfo) {
	p.printf("run %s: %d nodes, parallelism %d", r.ID, len(r.Nodes), r.Parallelism)
}

// NodeStarted implements pipeline.Hook.
func (p *Plain) NodeStarted(r pipeline.NodeResult) {
	if r.Attempt > 1 {
		p.printf("%s: started (attempt %d)", r.Addr, r.Attempt)
		return
	}
	p.printf("%s: started", r.Addr)
}

// NodeProgress implements pipeline.Hook.
func (p *Plain) NodeProgress(addr string, done, total int64, unit string) {
	p.mu.Lock()
	now := p.now()
	due := now.Sub(p.last[addr]) >= plainEvery
	if due {
		p.last[addr] = now
	}
	p.mu.Unlock()
	if !due {
		return
	}
	if total > 0 {
		p.printf("%s: %d/%d %s", addr, done, total, unit)
	} else {
		p.printf("%s: %d %s", addr, done, unit)
	}
}

// NodeMetric implements pipeline.Hook; metrics show in runs show.
func (p *Plain) NodeMetric(string, string, int64, float64) {}

// NodeLog implements pipeline.Hook.
func (p *Plain) NodeLog(addr, line string) { p.printf("%s: %s", addr, line) }

// NodeCached implements pipeline.Hook.
func (p *Plain) NodeCached(r pipeline.NodeResult) { p.printf("%s: cached", r.Addr) }

// NodeFinished implements pipeline.Hook.
func (p *Plain) NodeFinished(r pipeline.NodeResult) {
	p.printf("%s: finished in %s", r.Addr, r.Duration.Round(time.Millisecond))
}

// NodeFailed implements pipeline.Hook.
func (p *Plain) NodeFailed(r pipeline.NodeResult) { p.printf("%s: failed: %v", r.Addr, r.Err) }

// NodeSkipped implements pipeline.Hook.
func (p *Plain) NodeSkipped(addr, cause string) { p.printf("%s: skipped (%s failed)", addr, cause) }

// RunFinished implements pipeline.Hook.
func (p *Plain) RunFinished(r pipeline.RunResult) {
	p.printf("run %s %s in %s", r.ID, r.Status, r.Duration.Round(time.Millisecond))
	for _, name := range sortedKeys(r.Outputs) {
		p.printf("output %s = %s", name, r.Outputs[name])
	}
}

// Close implements View.
func (p *Plain) Close() {}
