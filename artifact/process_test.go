package artifact

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// committerEnv makes the test binary commit one artifact into a store and
// print its digest (see TestMain).
const committerEnv = "LLMFLOW_ARTIFACT_TEST_COMMITTER"

func TestMain(m *testing.M) {
	if dir := os.Getenv(committerEnv); dir != "" {
		d, err := commitFixture(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(d)
		return
	}
	if spec := os.Getenv(holderEnv); spec != "" {
		if err := holdStaging(spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		return
	}
	os.Exit(m.Run())
}

func commitFixture(dir string) (string, error) {
	s, err := OpenStore(dir)
	if err != nil {
		return "", err
	}
	st, err := s.NewStaging(KindText)
	if err != nil {
		return "", err
	}
	tw, err := NewTextWriter(st.Dir(), nil, WithShardRows(500))
	if err != nil {
		return "", err
	}
	for i := 0; i < 2000; i++ {
		if err := tw.Append(fmt.Sprint(i), strings.Repeat("x", i%50)); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	m, err := st.Commit()
	if err != nil {
		return "", err
	}
	return m.Digest, s.RecordNode("sha256-node", map[string]string{"data": m.Digest})
}

// TestConcurrentProcessesCommit starts processes that commit the same
// dataset into one store at the same time: all succeed with one digest.
func TestConcurrentProcessesCommit(t *testing.T) {
	exe, _ := os.Executable()
	store := filepath.Join(t.TempDir(), "store")
	const n = 4
	cmds := make([]*exec.Cmd, n)
	outs := make([]strings.Builder, n)
	for i := range cmds {
		cmds[i] = exec.Command(exe, "-test.run=^$")
		cmds[i].Env = append(os.Environ(), committerEnv+"="+store)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("process %d: %v: %s", i, err, outs[i].String())
		}
	}
	d := strings.TrimSpace(outs[0].String())
	for i := range outs {
		if strings.TrimSpace(outs[i].String()) != d {
			t.Fatalf("digests differ: %q vs %q", outs[i].String(), d)
		}
	}
	s, _ := OpenStore(store)
	m, err := s.Manifest(d)
	if err != nil || m.Rows != 2000 || m.Schema != "id: utf8, text: utf8" {
		t.Fatalf("%+v %v", m, err)
	}
	if err := m.Verify(s.Path(d)); err != nil {
		t.Fatal(err)
	}
	if out, ok := s.LookupNode("sha256-node"); !ok || out["data"] != d {
		t.Fatalf("node %v %v", out, ok)
	}
	if ents, _ := os.ReadDir(filepath.Join(store, "tmp")); len(ents) != 0 {
		t.Fatalf("staging left behind: %d entries", len(ents))
	}
}
