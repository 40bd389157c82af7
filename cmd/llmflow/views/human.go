package views

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/llmflow/llmflow/pipeline"
)

// Human draws one progress bar per running node (progress, rate, ETA and
// the node's last metric) and prints lifecycle lines above the bars.
type Human struct {
	p     *mpb.Progress
	plain *Plain // lifecycle lines, written through the bar container
	mu    sync.Mutex
	bars  map[string]*nodeBar
}

type nodeBar struct {
	bar    *mpb.Bar
	mu     sync.Mutex
	metric string
}

// NewHuman returns a progress-bar view drawing on w, a terminal.
func NewHuman(w io.Writer) *Human {
	p := mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh())
	return &Human{p: p, plain: NewPlain(p), bars: map[string]*nodeBar{}}
}

// RunStarted implements pipeline.Hook.
func (h *Human) RunStarted(r pipeline.RunInfo) { h.plain.RunStarted(r) }

// NodeStarted implements pipeline.Hook.
func (h *Human) NodeStarted(r pipeline.NodeResult) {
	nb := &nodeBar{}
	nb.bar = h.p.AddBar(0,
		mpb.PrependDecorators(decor.Name(r.Addr, decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d", decor.WCSyncSpace)),
		mpb.AppendDecorators(
			decor.AverageSpeed(nil, "%.1f/s", decor.WCSyncSpace),
			decor.AverageETA(decor.ET_STYLE_GO, decor.WCSyncSpace),
			decor.Any(func(decor.Statistics) string { nb.mu.Lock(); defer nb.mu.Unlock(); return nb.metric }, decor.WCSyncSpace),
		),
		mpb.BarRemoveOnComplete(),
	)
	h.mu.Lock()
	if old := h.bars[r.Addr]; old != nil {
		old.bar.Abort(true)
	}
	h.bars[r.Addr] = nb
	h.mu.Unlock()
}

func (h *Human) bar(addr string) *nodeBar {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bars[addr]
}

// NodeProgress implements pipeline.Hook.
func (h *Human) NodeProgress(addr string, done, total int64, _ string) {
	if nb := h.bar(addr); nb != nil {
		if total > 0 {
			nb.bar.SetTotal(total, false)
		}
		nb.bar.SetCurrent(done)
	}
}

// NodeMetric implements pipeline.Hook.
func (h *Human) NodeMetric(addr, name string, step int64, value float64) {
	h.plain.NodeMetric(addr, name, step, value)
	if nb := h.bar(addr); nb != nil {
		nb.mu.Lock()
		nb.metric = fmt.Sprintf("%s=%.4g @%d", name, value, step)
		nb.mu.Unlock()
	}
}

// NodeLog implements pipeline.Hook.
func (h *Human) NodeLog(addr, line string) { h.plain.NodeLog(addr, line) }

// NodeCached implements pipeline.Hook.
func (h *Human) NodeCached(r pipeline.NodeResult) { h.plain.NodeCached(r) }

// finish removes a node's bar: completed bars disappear on their own
// (BarRemoveOnComplete), failed ones are aborted and dropped.
func (h *Human) finish(addr string, ok bool) {
	h.mu.Lock()
	nb := h.bars[addr]
	delete(h.bars, addr)
	h.mu.Unlock()
	switch {
	case nb == nil:
	case ok:
		nb.bar.SetTotal(-1, true)
	default:
		nb.bar.Abort(true)
	}
}

// NodeFinished implements pipeline.Hook.
func (h *Human) NodeFinished(r pipeline.NodeResult) { h.finish(r.Addr, true); h.plain.NodeFinished(r) }

// NodeFailed implements pipeline.Hook.
func (h *Human) NodeFailed(r pipeline.NodeResult) { h.finish(r.Addr, false); h.plain.NodeFailed(r) }

// NodeSkipped implements pipeline.Hook.
func (h *Human) NodeSkipped(addr, cause string) { h.plain.NodeSkipped(addr, cause) }

// RunFinished implements pipeline.Hook.
func (h *Human) RunFinished(r pipeline.RunResult) { h.plain.RunFinished(r) }

// Close stops drawing; it waits for the bar container to finish.
func (h *Human) Close() {
	h.mu.Lock()
	for addr, nb := range h.bars {
		nb.bar.Abort(true)
		delete(h.bars, addr)
	}
	h.mu.Unlock()
	h.p.Wait()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
