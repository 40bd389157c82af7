package runview

import (
	"context"
	"slices"
	"strings"

	"github.com/llmflow/llmflow/pipeline/runstore"
)

// BuildCompare diffs runs a and b (ids, prefixes or latest) and overlays
// the curves they have in common.
func BuildCompare(ctx context.Context, db *runstore.Store, a, b string) (*ComparePage, error) {
	var details [2]*runstore.RunDetail
	var curves [2][]runstore.Curve
	for i, ref := range []string{a, b} {
		id, err := resolve(ctx, db, ref)
		if err != nil {
			return nil, err
		}
		if details[i], err = db.GetRun(ctx, id); err != nil {
			return nil, err
		}
		if curves[i], err = db.Curves(ctx, id); err != nil {
			return nil, err
		}
	}
	return &ComparePage{Diff: Compare(details[0], details[1]), Charts: overlay(curves[0], curves[1])}, nil
}

// overlay makes a chart for every node metric both runs have, with the
// series "a" and "b".
func overlay(a, b []runstore.Curve) []Chart {
	var out []Chart
	for _, ca := range a {
		for _, cb := range b {
			if ca.Node != cb.Node || ca.Name != cb.Name || (!strings.HasPrefix(ca.Node, "stage.") && len(ca.Steps) < 3) {
				continue
			}
			x, y := ca, cb
			x.Name, y.Name = "a", "b"
			out = append(out, makeChart(ca.Node, ca.Name, []runstore.Curve{x, y}))
		}
	}
	// Losses first, then the learning rate and throughput, as on a run page.
	slices.SortStableFunc(out, func(a, b Chart) int { return chartRank(a.Title) - chartRank(b.Title) })
	return out
}

func chartRank(name string) int {
	for i, g := range chartGroups {
		if g.match(name) {
			return i
		}
	}
	return len(chartGroups)
}
