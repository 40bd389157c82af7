package preference

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Shapes of input records.
const (
	ShapePairs  = "pairs"
	ShapeHH     = "hh"
	ShapeRanked = "ranked"
)

// Ways to expand a ranked list of answers, best first, into pairs.
const (
	RankedBestVsRest = "best_vs_rest" // answer 0 over each other
	RankedAll        = "all"          // answer i over answer j for every i < j
	RankedAdjacent   = "adjacent"     // answer i over answer i+1
)

// shapeFields lists each shape's fields with their default names, required
// ones first.
var shapeFields = map[string][]string{
	ShapePairs:  {"prompt", "chosen", "rejected", "history", "system"},
	ShapeHH:     {"chosen", "rejected"},
	ShapeRanked: {"instruction", "output", "input", "history", "system"},
}

// Shapes returns the shape names, sorted.
func Shapes() []string { return slices.Sorted(maps.Keys(shapeFields)) }

// Config is the `preferences` block: which shape the records have, where
// their fields are, how ranked lists become pairs and how many records are
// held out. Its hcl tags match the block's attributes.
type Config struct {
	// Shape is one of Shapes().
	Shape string `hcl:"shape" json:"shape"`
	// Fields renames a shape's fields: {prompt = "question"}.
	Fields map[string]string `hcl:"fields,optional" json:"fields,omitempty"`
	// IDField names the field holding a record's id; a record without it
	// gets "<file base name>:<line>".
	IDField string `hcl:"id_field,optional" json:"id_field"`
	// OnError is "fail" (the first bad record is an error naming file and
	// line) or "skip" (bad records are counted and skipped).
	OnError string `hcl:"on_error,optional" json:"on_error"`
	// RankedPairs expands shape ranked: best_vs_rest, all or adjacent.
	RankedPairs string `hcl:"ranked_pairs,optional" json:"ranked_pairs"`
	// ValFraction is the share of records held out, in [0, 1).
	ValFraction float64 `hcl:"val_fraction,optional" json:"val_fraction"`
}

// DefaultConfig returns the defaults: id field "id", on_error "fail",
// ranked_pairs "best_vs_rest", nothing held out.
func DefaultConfig() Config {
	return Config{IDField: "id", OnError: "fail", RankedPairs: RankedBestVsRest}
}

// Validate reports the first problem, naming the attribute.
func (c Config) Validate() error {
	fields, ok := shapeFields[c.Shape]
	if !ok {
		return fmt.Errorf("shape %q is not one of %s", c.Shape, strings.Join(Shapes(), ", "))
	}
	for _, k := range slices.Sorted(maps.Keys(c.Fields)) {
		if !slices.Contains(fields, k) {
			return fmt.Errorf("fields: %q is not a field of shape %s (it has %s)", k, c.Shape, strings.Join(fields, ", "))
		}
		if c.Fields[k] == "" {
			return fmt.Errorf("fields: %q maps to an empty name", k)
		}
	}
	switch c.RankedPairs {
	case RankedBestVsRest, RankedAll, RankedAdjacent:
	default:
		return fmt.Errorf("ranked_pairs must be %q, %q or %q, not %q", RankedBestVsRest, RankedAll, RankedAdjacent, c.RankedPairs)
	}
	if c.OnError != "fail" && c.OnError != "skip" {
		return fmt.Errorf("on_error must be \"fail\" or \"skip\", not %q", c.OnError)
	}
	if math.IsNaN(c.ValFraction) || c.ValFraction < 0 || c.ValFraction >= 1 {
		return fmt.Errorf("val_fraction: %v must lie in [0, 1)", c.ValFraction)
	}
	return nil
}

// field returns the record field name of a shape field.
func (c Config) field(name string) string {
	if f, ok := c.Fields[name]; ok {
		return f
	}
	return name
}
