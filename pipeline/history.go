package pipeline

import (
	"context"
	"encoding/json"

	"github.com/llmflow/llmflow/pipeline/runstore"
)

// RunHistory answers History from the run store: the key parts of the
// latest successful execution of each node, preferring runs of one
// pipeline file over runs of others.
type RunHistory struct {
	DB       *runstore.Store
	Pipeline string // pipeline file name as recorded
}

// LastParts implements History.
func (h RunHistory) LastParts(addr string) (KeyParts, bool) {
	if h.DB == nil {
		return KeyParts{}, false
	}
	n, err := h.DB.LatestNodeByKey(context.Background(), h.Pipeline, addr)
	if err != nil || n == nil {
		return KeyParts{}, false
	}
	var parts KeyParts
	if json.Unmarshal(n.KeyComponents, &parts) != nil {
		return KeyParts{}, false
	}
	return parts, true
}

// LastParams implements ParamHistory: the config attributes recorded for
// the execution LastParts describes.
func (h RunHistory) LastParams(addr string) (map[string]string, bool) {
	if h.DB == nil {
		return nil, false
	}
	ctx := context.Background()
	n, err := h.DB.LatestNodeByKey(ctx, h.Pipeline, addr)
	if err != nil || n == nil {
		return nil, false
	}
	ps, err := h.DB.NodeParams(ctx, n.ID)
	return ps, err == nil
}

// VariablesJSON returns the variable values as a JSON object for the run
// record, leaving sensitive variables out entirely.
func (b *Bound) VariablesJSON() json.RawMessage {
	out := map[string]json.RawMessage{}
	for name, v := range b.Vars {
		if b.Config.Variables[name].Sensitive || v.ContainsMarked() {
			continue
		}
		out[name] = json.RawMessage(renderParam(staticExpr(v), nil))
	}
	js, _ := json.Marshal(out)
	return js
}
