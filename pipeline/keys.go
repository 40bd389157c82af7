package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/llmflow/llmflow/artifact"
)

// KeyParts are the components of a node's cache key. Two executions with
// equal parts are interchangeable, so the second one is served from the
// store.
type KeyParts struct {
	Kind   string            `json:"kind"`
	Plugin string            `json:"plugin"` // identity and binary checksum
	Config string            `json:"config"` // sha256 of the canonical configuration
	Inputs map[string]string `json:"inputs"` // input name -> artifact digest; source files as "file:<n>:<name>"
	Seed   int64             `json:"seed"`
}

// Key returns the cache key: sha256 over the canonical JSON of the parts
// (encoding/json sorts map keys, so the encoding is stable).
func (p KeyParts) Key() string {
	js, _ := json.Marshal(p)
	sum := sha256.Sum256(js)
	return hex.EncodeToString(sum[:])
}

// Diff names what differs from a previous execution, in the order a user
// would look for it: plugin, config, input. It returns "" when equal.
func (p KeyParts) Diff(prev KeyParts) string {
	switch {
	case p.Kind != prev.Kind || p.Plugin != prev.Plugin:
		return ReasonPluginChanged
	case p.Config != prev.Config || p.Seed != prev.Seed:
		return ReasonConfigChanged
	case !sameMap(p.Inputs, prev.Inputs):
		return ReasonInputChanged
	}
	return ""
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sourceParts hashes external source files into key inputs named by their
// position in ingest order and the name ingest gives them, never by their
// path: the same files reached through another working directory, an
// absolute path or a moved project keep the node's key. The store, when
// given, remembers the digests of files unchanged since.
func sourceParts(store *artifact.Store, paths []string) (map[string]string, error) {
	out := map[string]string{}
	sort.Strings(paths)
	names := artifact.InputNames(paths)
	digest := artifact.FileDigest
	if store != nil {
		digest = store.SourceDigest
	}
	for i, p := range paths {
		d, err := digest(p)
		if err != nil {
			return nil, err
		}
		out[fmt.Sprintf("file:%d:%s", i, names[i])] = d
	}
	return out, nil
}
