package views

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
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
	// final holds each running node's latest value of the metrics its
	// summary line shows.
	final map[string]map[string]float64
}

// plainEvery is how often a node's progress is written.
const plainEvery = 5 * time.Second

// NewPlain returns a plain-lines view writing to w.
func NewPlain(w io.Writer) *Plain {
	return &Plain{w: w, last: map[string]time.Time{}, now: time.Now, final: map[string]map[string]float64{}}
}

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

// NodeMetric implements pipeline.Hook: it keeps the values the node's
// summary line shows; the series are in runs show and runs metrics.
func (p *Plain) NodeMetric(addr, name string, _ int64, value float64) {
	if !slices.Contains(summaryMetrics, name) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.final[addr] == nil {
		p.final[addr] = map[string]float64{}
	}
	p.final[addr][name] = value
}

// NodeLog implements pipeline.Hook.
func (p *Plain) NodeLog(addr, line string) { p.printf("%s: %s", addr, line) }

// NodeCached implements pipeline.Hook.
func (p *Plain) NodeCached(r pipeline.NodeResult) { p.printf("%s: cached", r.Addr) }

// NodeFinished implements pipeline.Hook.
func (p *Plain) NodeFinished(r pipeline.NodeResult) {
	p.mu.Lock()
	seen := p.final[r.Addr]
	delete(p.final, r.Addr)
	p.mu.Unlock()
	if s := summary(r.Metrics, seen); s != "" {
		p.printf("%s: finished in %s: %s", r.Addr, r.Duration.Round(time.Millisecond), s)
		return
	}
	p.printf("%s: finished in %s", r.Addr, r.Duration.Round(time.Millisecond))
}

// summaryMetrics are the figures a node's final line shows when it has
// them: what a dataprep node kept and dropped, a training stage's last
// losses, an evaluation's score.
var summaryMetrics = []string{"rows", "docs_kept", "docs_dropped", "removed", "found", "tokens", "vocab_size",
	"train_loss", "val_loss", "eval_loss", "perplexity"}

// summary renders the summary metrics of a finished node: its final
// figures, else the last value reported during the run.
func summary(final, seen map[string]float64) string {
	var parts []string
	for _, name := range summaryMetrics {
		v, ok := final[name]
		if !ok {
			v, ok = seen[name]
		}
		if ok {
			parts = append(parts, name+"="+figure(v))
		}
	}
	return strings.Join(parts, " ")
}

// figure renders a count in full (rows=100000, not 1e+05) and anything
// else to five significant digits.
func figure(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 5, 64)
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
