package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmflow/llmflow/model"
)

// ParamHistory is a History that also knows the config attributes a node
// last ran with, so the plan can name the attributes that changed. The run
// store implements it.
type ParamHistory interface {
	LastParams(addr string) (map[string]string, bool)
}

// Change is one difference between a node's last execution and now, as
// terraform plan shows it: an attribute with its old and new value (JSON),
// an input with its old and new digest, or the plugin identity.
type Change struct {
	// Field is "config", "input", "plugin" or "upstream": an input whose
	// producer runs first, so its new digest is not known yet (New names
	// the producer).
	Field string `json:"field"`
	Name  string `json:"name"`
	Old   string `json:"old,omitempty"` // "" when added
	New   string `json:"new,omitempty"` // "" when removed
}

// String renders a change as one indented plan line.
func (c Change) String() string {
	name, old, now := c.Name, shortDigest(c.Old), shortDigest(c.New)
	switch {
	case c.Field == "upstream" && old == "":
		return fmt.Sprintf("      ~ %s = (known after %s runs)", name, c.New)
	case c.Field == "upstream":
		return fmt.Sprintf("      ~ %s = %s -> (known after %s runs)", name, old, c.New)
	case old == "":
		return fmt.Sprintf("      + %s = %s", name, now)
	case now == "":
		return fmt.Sprintf("      - %s = %s", name, old)
	}
	return fmt.Sprintf("      ~ %s = %s -> %s", name, old, now)
}

// shortDigest shortens an artifact digest to 12 hex digits, as docker
// does; plan --json keeps the full ones.
func shortDigest(s string) string {
	if strings.HasPrefix(s, "sha256:") && len(s) == 71 {
		return s[:19] + "…"
	}
	return s
}

// upstreamChange says that input name of n will get a new digest from
// dep, which runs first.
func (pl *Planner) upstreamChange(n *prepared, dep string) Change {
	name := missingInput(n, dep)
	c := Change{Field: "upstream", Name: name, New: dep}
	if prev, ok := pl.history(n.Addr); ok {
		c.Old = prev.Inputs[name]
	}
	return c
}

// changes lists what differs between the parts and params of a node now
// and at its last execution: the plugin, each config attribute (seed
// among them) and each input.
func (pl *Planner) changes(n *prepared, parts KeyParts) []Change {
	prev, ok := pl.history(n.Addr)
	if !ok {
		return nil
	}
	var out []Change
	if parts.Plugin != prev.Plugin {
		out = append(out, Change{Field: "plugin", Name: "plugin", Old: prev.Plugin, New: parts.Plugin})
	}
	if ph, ok := pl.History.(ParamHistory); ok && parts.Config != prev.Config {
		if old, ok := ph.LastParams(n.Addr); ok {
			out = append(out, paramChanges(old, n.Params)...)
		}
	}
	if parts.Seed != prev.Seed {
		out = append(out, Change{Field: "config", Name: "seed", Old: fmt.Sprint(prev.Seed), New: fmt.Sprint(parts.Seed)})
	}
	for _, name := range sortedKeys(unionKeys(prev.Inputs, parts.Inputs)) {
		if o, nw := prev.Inputs[name], parts.Inputs[name]; o != nw {
			out = append(out, Change{Field: "input", Name: inputName(name), Old: o, New: nw})
		}
	}
	return out
}

func paramChanges(old, now map[string]string) []Change {
	var out []Change
	for _, name := range sortedKeys(unionKeys(old, now)) {
		if o, nw := old[name], now[name]; o != nw {
			out = append(out, Change{Field: "config", Name: name, Old: o, New: nw})
		}
	}
	return out
}

func unionKeys(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k := range a {
		out[k] = ""
	}
	for k := range b {
		out[k] = ""
	}
	return out
}

// inputName shows a source file input ("file:0:web.jsonl") by its file name.
func inputName(key string) string {
	if rest, ok := strings.CutPrefix(key, "file:"); ok {
		if _, name, ok := strings.Cut(rest, ":"); ok {
			return "file " + name
		}
	}
	return key
}

// resumeStep returns the step a stage's saved training state will resume
// from: a killed or failed attempt leaves it in the node's work directory,
// which its cache key names. 0 when there is none.
func (pl *Planner) resumeStep(key string) int {
	if pl.Store == nil || key == "" {
		return 0
	}
	states, _ := filepath.Glob(filepath.Join(pl.Store.WorkDir(key), "*", model.StateMetaFile))
	best := 0
	for _, path := range states {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var st struct {
			Step int `json:"step"`
		}
		if json.Unmarshal(b, &st) == nil && st.Step > best {
			best = st.Step
		}
	}
	return best
}
