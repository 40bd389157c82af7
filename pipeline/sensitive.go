package pipeline

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/internal/redact"
)

// secretStrings returns the text forms of v's leaves that could appear in
// a message: strings and numbers. v may be marked.
func secretStrings(v cty.Value) []string {
	v, _ = v.UnmarkDeep()
	var out []string
	cty.Walk(v, func(_ cty.Path, leaf cty.Value) (bool, error) {
		if leaf.IsNull() || !leaf.IsKnown() {
			return false, nil
		}
		switch leaf.Type() {
		case cty.String:
			out = append(out, leaf.AsString())
		case cty.Number:
			out = append(out, leaf.AsBigFloat().Text('f', -1))
		}
		return true, nil
	})
	return out
}

// addMarked adds the parts of v that carry the sensitive mark to s and
// reports whether there were any.
func addMarked(s *redact.Set, v cty.Value) bool {
	unmarked, paths := v.UnmarkDeepWithPaths()
	found := false
	for _, pm := range paths {
		if _, ok := pm.Marks[sensitiveMark]; !ok {
			continue
		}
		found = true
		if leaf, err := pm.Path.Apply(unmarked); err == nil {
			s.Add(secretStrings(leaf)...)
		}
	}
	return found
}

// redactDiags returns diags with sensitive values replaced in summaries
// and details. Expression and EvalContext are dropped: a renderer that
// prints the values an expression saw would show them unredacted.
func redactDiags(s *redact.Set, diags hcl.Diagnostics) hcl.Diagnostics {
	if s.Empty() || len(diags) == 0 {
		return diags
	}
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		c := *d
		c.Summary, c.Detail = s.String(d.Summary), s.String(d.Detail)
		c.Expression, c.EvalContext = nil, nil
		out[i] = &c
	}
	return out
}

// SourceSnapshot returns the source to record for a run: the pipeline file
// with the default of each sensitive variable replaced by null, so the
// value is not stored. Reproduce takes such values from the usual variable
// sources or from the pipeline file as it is then.
func (c *Config) SourceSnapshot() []byte {
	var cuts []hcl.Range
	for _, v := range c.Variables {
		r := v.DefaultRange
		if v.Sensitive && r.Filename == c.Filename && r.Start.Byte < r.End.Byte && r.End.Byte <= len(c.Source) {
			cuts = append(cuts, r)
		}
	}
	// Later ranges first, so earlier offsets stay valid.
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].Start.Byte > cuts[j].Start.Byte })
	src := append([]byte(nil), c.Source...)
	for _, r := range cuts {
		src = append(src[:r.Start.Byte], append([]byte("null"), src[r.End.Byte:]...)...)
	}
	return src
}

// keyedDigestPrefix marks a config digest keyed with the store's secret.
const keyedDigestPrefix = "hmac-sha256:"

// configDigest is the config part of a cache key. A configuration holding
// sensitive values is keyed with the store's secret: a plain sha256 would
// let anyone with the run database test guesses of the value offline. The
// value still changes the digest, so changing a secret re-runs the node.
func (pl *Planner) configDigest(canonical []byte, sensitive bool) string {
	if !sensitive {
		return sha256Hex(canonical)
	}
	mac := hmac.New(sha256.New, pl.key())
	mac.Write(canonical)
	return keyedDigestPrefix + hex.EncodeToString(mac.Sum(nil))
}

// key returns Planner.Key, or a random key that lives as long as the
// planner: without the store's key no cached result can match anyway.
func (pl *Planner) key() []byte {
	if pl.Key != nil {
		return pl.Key
	}
	pl.keyOnce.Do(func() {
		pl.ephemeral = make([]byte, 32)
		rand.Read(pl.ephemeral)
	})
	return pl.ephemeral
}

// redactKeys returns m with secrets replaced in its keys: source file
// names are recorded with the key parts, and a path may hold a secret. The
// keyed config digest still tells such files apart.
func redactKeys(s *redact.Set, m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[s.String(k)] = v
	}
	return out
}

// redactHook passes events on with sensitive values replaced in log lines
// and errors, so views and the run record never see them.
type redactHook struct {
	Hook
	s *redact.Set
}

// NodeLog implements Hook.
func (h redactHook) NodeLog(addr, line string) { h.Hook.NodeLog(addr, h.s.String(line)) }

// NodeFailed implements Hook.
func (h redactHook) NodeFailed(res NodeResult) {
	res.Err = h.s.Error(res.Err)
	h.Hook.NodeFailed(res)
}

// RunFinished implements Hook.
func (h redactHook) RunFinished(res RunResult) {
	res.Err = h.s.Error(res.Err)
	h.Hook.RunFinished(res)
}
