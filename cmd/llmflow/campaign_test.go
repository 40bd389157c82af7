package main

import (
	"math/rand/v2"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestKillCampaign SIGKILLs `llmflow run` at random moments, sometimes with
// a second run of the same pipeline going at the same time, then lets two
// concurrent runs finish. Both must succeed with the same model, and the
// store and run database must be left as if nothing had been killed.
func TestKillCampaign(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 20 real runs; skipped with -short")
	}
	dir := tinyTraining(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for range 20 {
		a, _ := start(t, dir)
		var b *exec.Cmd
		if rng.IntN(3) == 0 {
			b, _ = start(t, dir)
		}
		// A whole run takes about three seconds, training most of it; a
		// killed run resumes from the last save, so later runs get further.
		time.Sleep(time.Duration(50+rng.IntN(1500)) * time.Millisecond)
		a.Process.Signal(syscall.SIGKILL)
		a.Wait()
		if b != nil {
			time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
			b.Process.Signal(syscall.SIGKILL)
			b.Wait()
		}
	}
	a, outA := start(t, dir)
	b, outB := start(t, dir)
	errA, errB := a.Wait(), b.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("final runs: %v, %v\n%s\n---\n%s", errA, errB, outA, outB)
	}
	if ma, mb := runOutput(t, outA.String(), "model"), runOutput(t, outB.String(), "model"); ma != mb {
		t.Errorf("the concurrent runs produced different models: %s, %s", ma, mb)
	}
	checkStoreClean(t, dir)
}
