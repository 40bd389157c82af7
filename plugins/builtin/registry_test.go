package builtin

import (
	"context"
	"slices"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// TestRegistry holds every built-in stage to the contract the host relies
// on: it describes itself under its registered name with a version, typed
// config attributes and output kinds.
func TestRegistry(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s, ok := Lookup(name)
			if !ok {
				t.Fatal("Lookup failed for a listed name")
			}
			d, err := s.Describe(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if d.Name != name || d.Version == "" {
				t.Errorf("describes itself as %q version %q", d.Name, d.Version)
			}
			for _, a := range d.Config {
				if a.Type == cty.NilType {
					t.Errorf("config attribute %q has no type", a.Name)
				}
				if a.Default != cty.NilVal && !a.Default.IsNull() {
					if _, err := convert.Convert(a.Default, a.Type); err != nil {
						t.Errorf("config attribute %q: default does not fit its type: %v", a.Name, err)
					}
				}
			}
			for _, o := range d.Outputs {
				if o.Kind == "" {
					t.Errorf("output %q has no kind", o.Name)
				}
			}
		})
	}
	if err := Serve("no-such-stage"); err == nil {
		t.Error("Serve of an unknown stage did not fail")
	}
}

// TestReleaseStages: the registry holds the stages users run and nothing
// that exists only to test the plugin host.
func TestReleaseStages(t *testing.T) {
	if got, want := Names(), []string{"dpo", "eval", "label", "logps", "peft", "ppo", "pretrain", "reward", "sft"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	if _, ok := Lookup("echo"); ok {
		t.Error("the test-only echo stage is a built-in")
	}
}
