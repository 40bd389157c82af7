package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/internal/tfevents"
)

// TestTensorBoardOutput trains with tensorboard = true, exports the
// stage's tensorboard output and reads the event files back: every train
// loss point the run recorded is there, at its step.
func TestTensorBoardOutput(t *testing.T) {
	dir := quickstart(t)
	path := filepath.Join(dir, "pipeline.hcl")
	src, _ := os.ReadFile(path)
	text := strings.Replace(shortTraining(string(src), 30), "log_every    = 10", "log_every    = 10\n    tensorboard  = true", 1)
	os.WriteFile(path, []byte(text), 0o644)
	if res := llmflow(t, dir, "run", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("run: %d\n%s", res.code, res.stderr)
	}
	out := filepath.Join(t.TempDir(), "tb")
	if res := llmflow(t, dir, "export", "stage.tiny.tensorboard", out); res.code != 0 {
		t.Fatalf("export: %d\n%s", res.code, res.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(out, "events.out.tfevents.*"))
	if len(files) != 1 {
		t.Fatalf("event files %v, want one", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	evs, err := tfevents.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[0].FileVersion != tfevents.FileVersion {
		t.Fatalf("the file does not start with the file version: %+v", evs)
	}
	var steps []int64
	for _, e := range evs {
		for _, v := range e.Values {
			if v.Tag == "train_loss" {
				steps = append(steps, e.Step)
				if v.Value <= 0 || e.WallTime < 1e9 {
					t.Errorf("train_loss event %+v", e)
				}
			}
		}
	}
	if len(steps) != 3 || steps[0] != 10 || steps[2] != 30 {
		t.Errorf("train_loss at steps %v, want 10, 20, 30", steps)
	}
	// The model output stays byte-identical whether or not events are written.
	plain := quickstart(t)
	os.WriteFile(filepath.Join(plain, "pipeline.hcl"), []byte(strings.Replace(text, "\n    tensorboard  = true", "", 1)), 0o644)
	a := llmflow(t, dir, "runs", "show", "--json", "latest")
	if res := llmflow(t, plain, "run", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("run without tensorboard: %s", res.stderr)
	}
	b := llmflow(t, plain, "runs", "show", "--json", "latest")
	if da, db := modelDigest(t, a.stdout), modelDigest(t, b.stdout); da == "" || da != db {
		t.Errorf("model %s with tensorboard, %s without", da, db)
	}
}

func modelDigest(t *testing.T, showJSON string) string {
	t.Helper()
	var d struct {
		Outputs map[string]struct{ Digest string }
	}
	mustJSON(t, result{stdout: showJSON}, &d)
	return d.Outputs["model"].Digest
}
