package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
)

// fakeRunner is a StageRunner whose "train" stage takes a test artifact and
// writes a model directory holding its config and seed, and whose "score"
// stage takes a required and an optional input of any kind.
type fakeRunner struct {
	checksum  string
	sensitive []string // config attributes the plugin declares sensitive
}

func (f *fakeRunner) Describe(_ context.Context, p StagePlugin) (*StageInfo, error) {
	if p.Kind == "score" {
		return &StageInfo{
			Name: "score", Version: "1", Checksum: f.checksum, ConfigSpec: hcldec.ObjectSpec{},
			Inputs: []Port{{Name: "data", Required: true}, {Name: "extra"}, {Name: "checked", NonEmpty: true}},
			// extra stands for an output the stage writes only under some configurations.
			Outputs: []Port{{Name: "report", Kind: "report"}, {Name: "extra", Kind: "report"}},
		}, nil
	}
	if p.Kind != "train" {
		return nil, errors.New("no plugin named " + p.Kind)
	}
	return &StageInfo{
		Name: "train", Version: "1", Checksum: f.checksum,
		ConfigSpec: hcldec.ObjectSpec{
			"steps": &hcldec.AttrSpec{Name: "steps", Type: cty.Number, Required: true},
			"note":  &hcldec.AttrSpec{Name: "note", Type: cty.String},
		},
		Inputs:    []Port{{Name: "data", Kind: "test", Required: true}},
		Outputs:   []Port{{Name: "model", Kind: "checkpoint"}},
		Sensitive: f.sensitive,
	}, nil
}

func (f *fakeRunner) Validate(_ context.Context, p StagePlugin, cfg cty.Value) hcl.Diagnostics {
	if p.Kind == "score" {
		return nil
	}
	if n, _ := cfg.GetAttr("steps").AsBigFloat().Int64(); n <= 0 {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "steps must be positive"}}
	}
	return nil
}

func (f *fakeRunner) Run(_ context.Context, req *StageRequest, ev StageEvents) (map[string]StageOutput, error) {
	if req.Plugin.Kind == "score" {
		dir := filepath.Join(req.OutputDir, "report")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "inputs.txt"), []byte(fmt.Sprint(len(req.Inputs))), 0o644)
		return map[string]StageOutput{"report": {Path: dir, Kind: "report"}}, nil
	}
	ev.Metric("loss", 1, 2.5)
	dir := filepath.Join(req.OutputDir, "model")
	os.MkdirAll(dir, 0o755)
	note := req.Config.GetAttr("note")
	text := "data=" + req.Inputs["data"].Digest
	if !note.IsNull() {
		text += " note=" + note.AsString()
	}
	os.WriteFile(filepath.Join(dir, "weights.txt"), []byte(text), 0o644)
	return map[string]StageOutput{"model": {Path: dir, Kind: "checkpoint"}}, nil
}

const stageSrc = `
testnode "d" { value = "x" }
stage "train" "base" {
  data = testnode.d
  config {
    steps = 3
    note  = "hi"
  }
}
testnode "after" { input = stage.base.model }
`

func planWith(t *testing.T, src string, pl *Planner) (*Plan, hcl.Diagnostics) {
	t.Helper()
	cfg, diags := Load(filepath.Join(t.TempDir(), "p.hcl"), []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b, diags := cfg.Bind(nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return pl.Plan(context.Background(), b)
}

func TestStageRunsThroughRunner(t *testing.T) {
	store := newStore(t)
	runner := &fakeRunner{checksum: "sha256:aa"}
	p, diags := planWith(t, stageSrc, &Planner{Store: store, Runner: runner})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	log := &eventLog{}
	if _, err := (&Engine{Store: store, Runner: runner, Hook: log}).Run(context.Background(), p); err != nil {
		t.Fatalf("%v %v", err, log.events)
	}
	if !log.has("finished stage.base") || !log.has("finished testnode.after") {
		t.Fatal(log.events)
	}
	runner.checksum = "sha256:bb"
	hist := fakeHistory{p: mustPlan(t, stageSrc, &Planner{Store: store, Runner: &fakeRunner{checksum: "sha256:aa"}})}
	p, _ = planWith(t, stageSrc, &Planner{Store: store, Runner: runner, History: hist})
	if got := planLine(p); !strings.Contains(got, "+ stage.base (will run: plugin changed)") || !strings.Contains(got, "= testnode.d (cached)") {
		t.Fatal(got)
	}
}

func mustPlan(t *testing.T, src string, pl *Planner) *Plan {
	p, diags := planWith(t, src, pl)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

func TestStagePlanDiagnostics(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unknown config attribute", `
testnode "d" {}
stage "train" "s" {
  data = testnode.d
  config {
    steps = 1
    stpes = 2
  }
}`, "Unsupported argument"},
		{"missing required config", `
testnode "d" {}
stage "train" "s" {
  data = testnode.d
  config {}
}`, "Missing required argument"},
		{"plugin validate", `
testnode "d" {}
stage "train" "s" {
  data = testnode.d
  config { steps = 0 }
}`, "steps must be positive"},
		{"unknown input", `
testnode "d" {}
stage "train" "s" {
  data = testnode.d
  dta  = testnode.d
  config { steps = 1 }
}`, `Unsupported input`},
		{"version mismatch", `
plugin "train" {
  source  = "builtin"
  version = "2"
}
testnode "d" {}
stage "train" "s" {
  data = testnode.d
  config { steps = 1 }
}`, "Plugin version mismatch"},
		{"unknown plugin", `
stage "nope" "s" {
  config {}
}`, "Cannot load plugin nope"},
		{"unknown stage output", `
testnode "d" {}
stage "train" "s" {
  data = testnode.d
  config { steps = 1 }
}
testnode "x" { input = stage.s.modle }`, "Unknown node output"},
		{"unknown output in output block", `
testnode "d" {}
stage "train" "s" {
  data = testnode.d
  config { steps = 1 }
}
output "m" { value = stage.s.modle }`, "Unknown node output"},
		{"wrong input kind", `
testnode "d" {}
stage "train" "s" {
  data = testnode.d
  config { steps = 1 }
}
stage "train" "t" {
  data = stage.s
  config { steps = 1 }
}`, "Incompatible input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := planWith(t, tt.src, &Planner{Store: newStore(t), Runner: &fakeRunner{}})
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.want) {
				t.Fatalf("got %v, want %q", diags, tt.want)
			}
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic without a source range: %s", d.Summary)
				}
			}
		})
	}
}

// TestUnproducedOutput: a stage may leave out some of its outputs (peft
// writes adapter or model by method); a node that refers to one it did not
// write fails naming the output and those it wrote, not as an internal bug.
func TestUnproducedOutput(t *testing.T) {
	store := newStore(t)
	runner := &fakeRunner{checksum: "sha256:aa"}
	src := `
testnode "d" { value = "x" }
stage "score" "s" { data = testnode.d }
testnode "after" { input = stage.s.extra }
`
	p, diags := planWith(t, src, &Planner{Store: store, Runner: runner})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	log := &eventLog{}
	if _, err := (&Engine{Store: store, Runner: runner, Hook: log}).Run(context.Background(), p); err == nil {
		t.Fatal("the run succeeded")
	}
	want := `failed testnode.after: input "input": stage.s finished without producing its output "extra", which its configuration does not write; refer to one of its outputs it wrote: report`
	if !log.has(want) {
		t.Fatalf("events %q, want %q", log.events, want)
	}
}
