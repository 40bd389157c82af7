package artifact

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// MinDigestPrefix is the fewest hex digits ResolveDigest takes: shorter
// prefixes would match too often to be worth typing.
const MinDigestPrefix = 6

// ErrNoArtifact is returned by ResolveDigest when no committed artifact
// matches.
var ErrNoArtifact = errors.New("no such artifact")

// ResolveDigest returns the full digest of the one committed artifact whose
// digest is ref or begins with it; ref may leave out "sha256:". An ambiguous
// prefix is an error listing some matches.
func (s *Store) ResolveDigest(ref string) (string, error) {
	hex := strings.TrimPrefix(ref, digestPrefix)
	if len(hex) < MinDigestPrefix || len(hex) > 64 || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%q is not a digest: want \"sha256:\" and at least %d lowercase hex digits", ref, MinDigestPrefix)
	}
	entries, err := os.ReadDir(s.objectsDir())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	var found []string
	for _, e := range entries {
		if d := digestPrefix + e.Name(); strings.HasPrefix(e.Name(), hex) && s.Has(d) {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("artifact %s is not in store %s: %w", ref, s.dir, ErrNoArtifact)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("artifact %s is ambiguous in store %s: it matches %s", ref, s.dir, strings.Join(found[:min(3, len(found))], ", "))
}
