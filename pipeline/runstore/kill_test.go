package runstore

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writerEnv makes the test binary act as a writer process (see TestMain).
const writerEnv = "LLMFLOW_RUNSTORE_TEST_WRITER"

func TestMain(m *testing.M) {
	if path := os.Getenv(writerEnv); path != "" {
		if err := writeForever(path); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			os.Exit(2)
		}
		return
	}
	os.Exit(m.Run())
}

// writeForever writes runs, nodes, metrics and events in a loop and prints
// "seq N" to stdout after each committed seq event, until it is killed.
func writeForever(path string) error {
	s, err := Open(path)
	if err != nil {
		return err
	}
	ctx := context.Background()
	var seq int64
	s.db.QueryRow(`SELECT IFNULL(MAX(CAST(message AS INTEGER)), 0) FROM events WHERE type = 'seq'`).Scan(&seq)
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		run, err := s.CreateRun(ctx, NewRun{PipelineFile: "kill.hcl", Source: strings.Repeat("x", 2000)})
		if err != nil {
			return err
		}
		node, err := s.StartNode(ctx, NodeStart{RunID: run, Addr: "stage.pretrain.base", Kind: "stage", CacheKey: "k" + strconv.Itoa(i)})
		if err != nil {
			return err
		}
		for step := int64(0); step < 5; step++ {
			ms := make([]Metric, 100)
			for j := range ms {
				ms[j] = Metric{Step: step*100 + int64(j), Name: "loss", Value: float64(j)}
			}
			if err := s.AddMetrics(ctx, run, node, ms); err != nil {
				return err
			}
			seq++
			if err := s.AddEvent(ctx, Event{RunID: run, NodeID: node, Type: "seq", Message: strconv.FormatInt(seq, 10)}); err != nil {
				return err
			}
			fmt.Fprintf(out, "seq %d\n", seq)
			out.Flush()
		}
		digest := fmt.Sprintf("sha256:%064x", i)
		if err := s.RecordArtifact(ctx, Artifact{Digest: digest, Kind: "checkpoint", Bytes: 1}); err != nil {
			return err
		}
		if err := s.RecordLineage(ctx, node, Edge{RoleOutput, "model", digest}); err != nil {
			return err
		}
		if err := s.FinishNode(ctx, node, StatusSucceeded, ""); err != nil {
			return err
		}
		if err := s.UpdateRun(ctx, run, StatusSucceeded, ""); err != nil {
			return err
		}
	}
}

// TestSIGKILLKeepsIntegrity kills a real writer process at random moments
// (including during the first Open and its migrations) and checks that the
// database stays intact and holds every write the writer reported.
func TestSIGKILLKeepsIntegrity(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "db", "llmflow.db")
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	var lastSeq int64
	rounds := 8
	if testing.Short() {
		rounds = 3
	}
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), writerEnv+"="+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan int64, 1<<16)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if n, err := strconv.ParseInt(strings.TrimPrefix(sc.Text(), "seq "), 10, 64); err == nil {
					lines <- n
				}
			}
			close(lines)
		}()
		// The first round dies early, likely inside Open and the migrations;
		// later rounds die at a random moment after the first write.
		var seen []int64
		if round == 0 {
			time.Sleep(time.Duration(rng.IntN(15)) * time.Millisecond)
		} else {
			select {
			case n, ok := <-lines:
				if ok {
					seen = append(seen, n)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("round %d: no write within 30s: %s", round, stderr.String())
			}
			time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		for n := range lines {
			seen = append(seen, n)
		}
		for _, n := range seen {
			if n <= lastSeq {
				t.Fatalf("round %d: writer restarted at seq %d after reporting %d: committed data lost", round, n, lastSeq)
			}
			lastSeq = n
		}
		cmd.Wait()
		if strings.Contains(stderr.String(), "writer:") {
			t.Fatalf("round %d: %s", round, stderr.String())
		}
	}
	if lastSeq == 0 {
		t.Fatal("writer never committed anything")
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if res, err := s.IntegrityCheck(ctx); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q %v", res, err)
	}
	var fkViolations int
	rows, _ := s.db.Query(`PRAGMA foreign_key_check`)
	for rows.Next() {
		fkViolations++
	}
	rows.Close()
	if fkViolations != 0 {
		t.Fatalf("%d foreign key violations", fkViolations)
	}
	var present int64
	s.db.QueryRow(`SELECT count(*) FROM events WHERE type = 'seq' AND CAST(message AS INTEGER) <= ?`, lastSeq).Scan(&present)
	if present != lastSeq {
		t.Fatalf("%d of %d reported seq events present", present, lastSeq)
	}
	stale, err := s.MarkStaleRunsInterrupted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := s.ListRuns(ctx, ListOptions{Status: StatusRunning})
	if len(runs) != 0 {
		t.Fatalf("%d runs still running after marking %d stale", len(runs), len(stale))
	}
	t.Logf("%d rounds, %d seq events committed, %d stale runs marked interrupted", rounds, lastSeq, len(stale))
}
