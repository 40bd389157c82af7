package runview

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/llmflow/llmflow/pipeline/runstore"
)

// Chart is one plot: several series of one node over a shared step axis,
// in the column layout uPlot draws (x, then one y array per series, null
// where a series has no point at a step).
type Chart struct {
	ID     string   `json:"id"` // node/group, unique in a page
	Node   string   `json:"node"`
	Title  string   `json:"title"`
	Labels []string `json:"labels"`
	X      []int64  `json:"x"`
	Y      []Column `json:"y"`
	// ResumedAt marks the steps where a resumed attempt took over.
	ResumedAt []int64 `json:"resumed_at,omitempty"`
	// Points counts the non-null points of all series.
	Points int `json:"points"`
}

// Column is a y series aligned with a chart's x; NaN is a missing point.
type Column []float64

// MarshalJSON writes the shortest float32 spelling of each value and null
// for missing ones: a 10,000-step chart stays small enough to inline.
func (c Column) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 8*len(c)+2)
	b = append(b, '[')
	for i, v := range c {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, v, 'g', -1, 32)
	}
	return append(b, ']'), nil
}

// chartGroups put series that belong on one chart together: train and
// validation loss on one, as the report promises; everything else alone.
var chartGroups = []struct {
	title string
	match func(name string) bool
}{
	{"loss", func(n string) bool { return n == "loss" || strings.HasSuffix(n, "_loss") }},
	{"learning rate", func(n string) bool { return n == "lr" }},
	{"tokens/s", func(n string) bool { return n == "tokens_per_s" }},
}

// RunCharts groups a run's curves into charts, node by node in the order
// the curves come. Training stages' series are all drawn; another node's
// only when it has at least minPoints (a dataprep node reports a count as
// it goes and at the end, which is not a curve).
func RunCharts(curves []runstore.Curve) []Chart {
	const minPoints = 3
	var out []Chart
	var nodes []string
	byNode := map[string][]runstore.Curve{}
	for _, c := range curves {
		if !strings.HasPrefix(c.Node, "stage.") && len(c.Steps) < minPoints {
			continue
		}
		if byNode[c.Node] == nil {
			nodes = append(nodes, c.Node)
		}
		byNode[c.Node] = append(byNode[c.Node], c)
	}
	for _, node := range nodes {
		cs := byNode[node]
		used := make([]bool, len(cs))
		for _, g := range chartGroups {
			var members []runstore.Curve
			for i, c := range cs {
				if !used[i] && g.match(c.Name) {
					members, used[i] = append(members, c), true
				}
			}
			if len(members) > 0 {
				out = append(out, makeChart(node, g.title, members))
			}
		}
		for i, c := range cs {
			if !used[i] {
				out = append(out, makeChart(node, c.Name, []runstore.Curve{c}))
			}
		}
	}
	return out
}

func makeChart(node, title string, cs []runstore.Curve) Chart {
	ch := Chart{ID: node + "/" + title, Node: node, Title: title}
	// train_loss before val_loss: the training curve is the one drawn first.
	slices.SortStableFunc(cs, func(a, b runstore.Curve) int { return strings.Compare(seriesOrder(a.Name), seriesOrder(b.Name)) })
	var steps []int64
	for _, c := range cs {
		steps = append(steps, c.Steps...)
		for _, s := range c.ResumedAt {
			if !slices.Contains(ch.ResumedAt, s) {
				ch.ResumedAt = append(ch.ResumedAt, s)
			}
		}
	}
	slices.Sort(steps)
	ch.X = slices.Compact(steps)
	pos := make(map[int64]int, len(ch.X))
	for i, s := range ch.X {
		pos[s] = i
	}
	for _, c := range cs {
		col := make(Column, len(ch.X))
		for i := range col {
			col[i] = math.NaN()
		}
		for i, s := range c.Steps {
			col[pos[s]] = c.Values[i]
			if !math.IsNaN(c.Values[i]) {
				ch.Points++
			}
		}
		ch.Labels = append(ch.Labels, c.Name)
		ch.Y = append(ch.Y, col)
	}
	slices.Sort(ch.ResumedAt)
	return ch
}

func seriesOrder(name string) string {
	if strings.HasPrefix(name, "train") {
		return "0" + name
	}
	return "1" + name
}
