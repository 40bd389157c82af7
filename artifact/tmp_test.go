package artifact

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// holderEnv makes the test binary hold a staging directory and a node's
// work directory ("store:key"), say "ready" and wait for stdin to close
// (see TestMain).
const holderEnv = "LLMFLOW_ARTIFACT_TEST_HOLDER"

func holdStaging(spec string) error {
	dir, key, _ := strings.Cut(spec, ":")
	s, err := OpenStore(dir)
	if err != nil {
		return err
	}
	st, err := s.NewStaging(KindText)
	if err != nil {
		return err
	}
	os.WriteFile(filepath.Join(st.Dir(), "part"), []byte("half an artifact"), 0o644)
	l, err := s.LockNode(context.Background(), key, "holder "+key, nil)
	if err != nil {
		return err
	}
	defer l.Unlock()
	os.MkdirAll(filepath.Join(s.WorkDir(key), "model"), 0o755)
	os.WriteFile(filepath.Join(s.WorkDir(key), "model", "state"), []byte("saved training state"), 0o644)
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return nil
}

// startHolder starts a holder process and waits until it holds its entries.
func startHolder(t *testing.T, store, key string) *exec.Cmd {
	t.Helper()
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+store+":"+key)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("holder did not start: %q", line)
	}
	return cmd
}

func tmpEntries(t *testing.T, s *Store) []string {
	t.Helper()
	var names []string
	for _, dir := range []string{s.tmpDir(), s.nodesDir()} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			names = append(names, filepath.Base(dir)+"/"+e.Name())
		}
	}
	slices.Sort(names)
	return names
}

// TestCleanTmpRemovesOnlyUnowned kills one process holding staging and a
// work directory while another lives on, and checks that cleaning removes
// exactly what the killed one left (its work directory only when asked to),
// leaves live entries alone, and that a dry run removes nothing.
func TestCleanTmpRemovesOnlyUnowned(t *testing.T) {
	s, _ := OpenStore(filepath.Join(t.TempDir(), "store"))
	const liveKey, deadKey, doneKey = "aaaa", "bbbb", "cccc"
	startHolder(t, s.Dir(), liveKey)
	dead := startHolder(t, s.Dir(), deadKey)
	dead.Process.Signal(syscall.SIGKILL)
	dead.Wait()
	own, err := s.NewStaging(KindText) // live in this process
	if err != nil {
		t.Fatal(err)
	}
	defer own.Abort()
	// A node that succeeded after its work directory was left behind, and
	// a node record whose writer died before the rename.
	m, _ := s.ImportDir(KindText, t.TempDir())
	s.RecordNode(doneKey, map[string]string{"data": m.Digest})
	os.MkdirAll(s.WorkDir(doneKey), 0o755)
	os.WriteFile(filepath.Join(s.nodesDir(), ".tmp-dddd.json-123"), []byte("{"), 0o644)

	before := tmpEntries(t, s)
	kinds := func(rs []Removed) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.What+" "+filepath.Base(r.Path))
		}
		slices.Sort(out)
		return out
	}
	dry, err := s.CleanTmp(CleanOptions{KeepResumable: true, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if after := tmpEntries(t, s); !slices.Equal(before, after) {
		t.Fatalf("dry run changed tmp:\n%v\n%v", before, after)
	}
	got, err := s.CleanTmp(CleanOptions{KeepResumable: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kinds(dry), kinds(got)) {
		t.Errorf("dry run reported %v, cleaning removed %v", kinds(dry), kinds(got))
	}
	var staging int
	var bytes int64
	for _, r := range got {
		bytes += r.Bytes
		if r.What == "staging" {
			staging++
		}
	}
	want := []string{"node record .tmp-dddd.json-123", "work directory stage-" + doneKey}
	for _, w := range want {
		if !slices.Contains(kinds(got), w) {
			t.Errorf("cleaning did not remove %s: %v", w, kinds(got))
		}
	}
	if staging != 1 || bytes < int64(len("half an artifact")) || len(got) != 3 {
		t.Errorf("removed %v (%d bytes), want the killed holder's staging too", kinds(got), bytes)
	}
	left := strings.Join(tmpEntries(t, s), " ")
	for _, keep := range []string{"stage-" + liveKey, "stage-" + liveKey + ".lock", "stage-" + deadKey, filepath.Base(own.Dir())} {
		if !strings.Contains(left, "tmp/"+keep+" ") && !strings.HasSuffix(left, "tmp/"+keep) {
			t.Errorf("cleaning removed %s; left %s", keep, left)
		}
	}
	// Without KeepResumable the killed node's work directory goes too.
	got, _ = s.CleanTmp(CleanOptions{})
	if k := kinds(got); !slices.Equal(k, []string{"work directory stage-" + deadKey}) {
		t.Errorf("second cleaning removed %v", k)
	}
}

// TestLockNodeNamesHolder checks that a node lock held by another process
// is reported with the holder's owner text and taken once it dies.
func TestLockNodeNamesHolder(t *testing.T) {
	s, _ := OpenStore(filepath.Join(t.TempDir(), "store"))
	holder := startHolder(t, s.Dir(), "k1")
	ctx, cancel := context.WithCancel(context.Background())
	var waitedFor string
	_, err := s.LockNode(ctx, "k1", "me", func(h string) { waitedFor = h; cancel() })
	if err == nil || waitedFor != "holder k1" {
		t.Fatalf("LockNode while held: %v, waited for %q", err, waitedFor)
	}
	holder.Process.Signal(syscall.SIGKILL)
	holder.Wait()
	l, err := s.LockNode(context.Background(), "k1", "me", func(h string) { t.Errorf("waited for %s", h) })
	if err != nil {
		t.Fatal(err)
	}
	l.Unlock()
	if _, err := os.Stat(s.WorkDir("k1") + lockSuffix); !os.IsNotExist(err) {
		t.Errorf("lock file left after Unlock: %v", err)
	}
}
