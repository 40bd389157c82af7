package builtin

import (
	"fmt"
	"sort"
	"strings"

	"github.com/llmflow/llmflow/plugins/sdk"
)

// stages lists every built-in stage; a stage adds itself here or from an
// init function in a file of this package named after it.
var stages = map[string]func() sdk.Stage{}

// Lookup returns a fresh instance of the built-in stage called name.
func Lookup(name string) (sdk.Stage, bool) {
	f, ok := stages[name]
	if !ok {
		return nil, false
	}
	return f(), true
}

// Names returns the names of all built-in stages, sorted.
func Names() []string {
	names := make([]string, 0, len(stages))
	for n := range stages {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Serve serves the built-in stage called name as a plugin; it returns an
// error only when no such stage exists.
func Serve(name string) error {
	s, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("no built-in stage %q (built-in stages: %s)", name, strings.Join(Names(), ", "))
	}
	sdk.Serve(s)
	return nil
}
