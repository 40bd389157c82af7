package pipeline

import (
	"fmt"
	"strings"

	"github.com/llmflow/llmflow/artifact"
)

// maxLineage bounds the walk up a chain of empty artifacts; a pipeline
// graph is acyclic, so it only guards against a bug.
const maxLineage = 64

// checkEmptyInputs fails a stage whose required dataset input has no rows:
// it would otherwise report figures computed from nothing (a loss of 0, a
// perplexity of 1). Optional inputs pass, unless their port says NonEmpty;
// the stage leaves out what it would compute from them. Dataprep nodes pass empty data through, so the
// error names the node upstream that emptied it.
func (r *run) checkEmptyInputs(n *prepared, parts KeyParts) error {
	if n.info == nil {
		return nil
	}
	for _, port := range n.info.Inputs {
		ref, wired := n.Inputs[port.Name]
		if !(port.Required || port.NonEmpty) || !wired {
			continue
		}
		if rows, ok := r.rows(parts.Inputs[port.Name]); ok && rows == 0 {
			return fmt.Errorf("%s: input %q (%s) is empty: %s", n.Addr, port.Name, r.refName(ref), r.emptyCause(ref))
		}
	}
	return nil
}

// rows returns the row count of a dataset artifact; ok is false for other
// kinds and unreadable artifacts.
func (r *run) rows(digest string) (int64, bool) {
	m, err := r.e.Store.Manifest(digest)
	if err != nil || !strings.HasPrefix(m.Kind, "dataset/") {
		return 0, false
	}
	ds, err := artifact.OpenDataset(r.e.Store.Path(digest))
	if err != nil {
		return 0, false
	}
	return ds.Rows(), true
}

// refName names a reference with its output, as in "tokenize.web.val".
func (r *run) refName(ref *Ref) string { return ref.Addr + "." + r.plan.outputName(ref) }

// digestOf returns the artifact a reference resolved to in this run.
func (r *run) digestOf(ref *Ref) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.outputs[ref.Addr][r.plan.outputName(ref)]
}

// emptyCause follows the lineage of an empty artifact up through nodes
// that wrote nothing because their own input was empty, and says what the
// first of them did: a filter dropped every row, or a node wrote none
// (with its type's guess why).
func (r *run) emptyCause(ref *Ref) string {
	var steps []string
	for range maxLineage {
		n := r.plan.prep[ref.Addr]
		if n == nil {
			break
		}
		in, inRows := r.dataInput(n)
		if in != nil && inRows == 0 {
			steps = append(steps, fmt.Sprintf("%s wrote 0 rows from the empty %s", n.Addr, r.refName(in)))
			ref = in
			continue
		}
		if n.bt != nil && n.bt.Drops && in != nil {
			return strings.Join(append(steps, fmt.Sprintf("%s dropped all %d rows of %s", n.Addr, inRows, r.refName(in))), "; ")
		}
		last := n.Addr + " wrote 0 rows"
		if n.bt != nil && n.bt.EmptyHint != nil && n.Decoded != nil {
			if hint := n.bt.EmptyHint(n.Decoded, r.plan.outputName(ref)); hint != "" {
				last += " — " + hint
			}
		}
		return strings.Join(append(steps, last), "; ")
	}
	return strings.Join(steps, "; ")
}

// dataInput returns a required dataset input of n that is empty, or else
// the first required dataset input, with its rows; nil when n reads none.
// Optional inputs (dedup's against) do not explain an empty output.
func (r *run) dataInput(n *prepared) (*Ref, int64) {
	var ports []Port
	switch {
	case n.bt != nil:
		ports = n.bt.Inputs
	case n.info != nil:
		ports = n.info.Inputs
	}
	var first *Ref
	var firstRows int64
	for _, port := range ports {
		ref := n.Inputs[port.Name]
		if !port.Required || ref == nil {
			continue
		}
		rows, ok := r.rows(r.digestOf(ref))
		switch {
		case ok && rows == 0:
			return ref, 0
		case ok && first == nil:
			first, firstRows = ref, rows
		}
	}
	return first, firstRows
}
