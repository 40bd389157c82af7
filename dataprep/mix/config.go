package mix

import (
	"fmt"
	"math"
)

// on_exhausted values.
const (
	// OnExhaustedStop ends the mix when the first source is exhausted.
	OnExhaustedStop = "stop"
	// OnExhaustedContinue drops an exhausted source and goes on with the
	// others, renormalising the weights.
	OnExhaustedContinue = "continue"
)

// SourceColumn names the column that records each row's source.
const SourceColumn = "source"

// Config configures a mix. Its hcl tags match the pipeline block; the
// inputs list is resolved by the pipeline, and Weights and MaxRows are
// parallel to it.
type Config struct {
	// Weights are sampling proportions, one per source, each > 0; empty
	// means proportional to the sources' sizes (every row used).
	Weights []float64 `hcl:"weights,optional"`
	// MaxRows caps the rows taken from each source, one per source; 0
	// means no cap. Empty means no caps.
	MaxRows []int64 `hcl:"max_rows,optional"`
	// OnExhausted is "stop" or "continue"; it applies with Weights.
	OnExhausted string `hcl:"on_exhausted,optional"`
	// Sources names the inputs in order, as their source column records
	// them. It is not an attribute: the pipeline fills it from the inputs
	// list, so that renaming an input changes the cache key.
	Sources []string
}

// DefaultConfig returns the defaults: no weights, no caps, "stop".
func DefaultConfig() Config { return Config{OnExhausted: OnExhaustedStop} }

// Validate reports the first invalid field that does not depend on the
// number of sources; CheckSources checks the rest.
func (c Config) Validate() error {
	if c.OnExhausted != OnExhaustedStop && c.OnExhausted != OnExhaustedContinue {
		return fmt.Errorf("on_exhausted must be %q or %q, not %q", OnExhaustedStop, OnExhaustedContinue, c.OnExhausted)
	}
	for i, w := range c.Weights {
		if !(w > 0) || math.IsInf(w, 0) {
			return fmt.Errorf("weights[%d] = %v: every weight must be a finite number above 0 (leave a source out rather than weigh it 0)", i, w)
		}
	}
	for i, m := range c.MaxRows {
		if m < 0 {
			return fmt.Errorf("max_rows[%d] = %d: a cap must be 0 (none) or more", i, m)
		}
	}
	return nil
}

// CheckSources reports a weights or max_rows list whose length differs
// from the number of sources; field names the offending attribute.
func (c Config) CheckSources(n int) (field string, err error) {
	if len(c.Weights) != 0 && len(c.Weights) != n {
		return "weights", fmt.Errorf("weights lists %d values for %d inputs; give one weight per input, in the order of inputs", len(c.Weights), n)
	}
	if len(c.MaxRows) != 0 && len(c.MaxRows) != n {
		return "max_rows", fmt.Errorf("max_rows lists %d values for %d inputs; give one cap per input (0 for none), in the order of inputs", len(c.MaxRows), n)
	}
	return "", nil
}
