package align

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTorchReferenceLogProbs has tools/torchref/reward_check.py compute,
// from the checkpoint's files alone, the summed log-probs of the answer
// tokens of encoded pairs, and compares them with SequenceLogProbs.
func TestTorchReferenceLogProbs(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s with torch is required in CI (apt-get install python3-torch): %v", python, err)
		}
		t.Skipf("%s cannot import torch (%v); install python3-torch", python, err)
	}
	dir := chatCheckpoint(t)
	p, err := LoadPolicy(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	enc, _, err := EncodePairs(p.Encoder, testPairs(3), Truncation{MaxLength: 128, MaxPromptLength: 64})
	if err != nil {
		t.Fatal(err)
	}
	var seqs []Sequence
	var lines []string
	for _, e := range enc {
		for _, s := range []Sequence{e.Chosen, e.Rejected} {
			seqs = append(seqs, s)
			var ids, mask []string
			for i, id := range s.IDs {
				ids, mask = append(ids, fmt.Sprint(id)), append(mask, fmt.Sprint(s.Mask[i]))
			}
			lines = append(lines, strings.Join(ids, " ")+" | "+strings.Join(mask, " "))
		}
	}
	tokens := filepath.Join(t.TempDir(), "tokens.txt")
	os.WriteFile(tokens, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	cmd := exec.Command(python, filepath.Join("..", "..", "tools", "torchref", "reward_check.py"), dir, tokens)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reward_check.py: %v", err)
	}
	var ref struct{ Logps []float64 }
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatal(err)
	}
	got, err := SequenceLogProbs(p.Model, seqs, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(ref.Logps) != len(seqs) {
		t.Fatalf("reference gave %d log-probs for %d sequences", len(ref.Logps), len(seqs))
	}
	worst := 0.0
	for i := range seqs {
		d := math.Abs(got.Sum[i] - ref.Logps[i])
		worst = max(worst, d/max(1, math.Abs(ref.Logps[i])))
	}
	t.Logf("largest relative difference of %d sequence log-probs: %.3g", len(seqs), worst)
	if worst > 1e-5 {
		t.Fatalf("sequence log-probs differ from PyTorch by %.3g relative", worst)
	}
}
