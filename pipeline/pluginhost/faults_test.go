package pluginhost

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFaults starts a real misbehaving plugin per case and checks that the
// failure is an *Error of the right kind whose message names the plugin and
// the cause, that no plugin process is left, and that the host still runs a
// healthy plugin afterwards.
func TestFaults(t *testing.T) {
	wrongSum := "sha256:" + strings.Repeat("0", 64)
	cases := []struct {
		name    string
		spec    PluginSpec
		opts    []Option
		timeout time.Duration
		op      string
		kind    Kind
		want    []string
	}{
		{name: "panics", spec: PluginSpec{Name: "panic"}, op: "run", kind: KindCrash,
			want: []string{`plugin "panic": run:`, "crashed with panic: boom in a worker goroutine", "exit status 2"}},
		{name: "panics in a call", spec: PluginSpec{Name: "panic-handler"}, op: "run", kind: KindPanic,
			want: []string{`plugin "panic-handler": run: stage panicked: boom in Run`}},
		{name: "exits non-zero", spec: PluginSpec{Name: "exit"}, op: "run", kind: KindExit,
			want: []string{`plugin "exit": run:`, "exited with status 3 during run"}},
		{name: "exits before handshake", spec: PluginSpec{Name: "exit-early"}, op: "start", kind: KindExit,
			want: []string{`plugin "exit-early": start:`, "exited with status 1 before the handshake", "cannot load model weights"}},
		{name: "hangs past the node timeout", spec: PluginSpec{Name: "hang-run"}, opts: []Option{WithStopGrace(300 * time.Millisecond)},
			timeout: 300 * time.Millisecond, op: "run", kind: KindTimeout,
			want: []string{`plugin "hang-run": run:`, "timed out after 300ms", "did not stop within 300ms and was killed"}},
		{name: "hangs before handshake", spec: PluginSpec{Name: "hang-start"}, opts: []Option{WithStartTimeout(500 * time.Millisecond)},
			op: "start", kind: KindTimeout, want: []string{`plugin "hang-start": start:`, "no handshake within 500ms"}},
		{name: "prints garbage", spec: PluginSpec{Name: "garbage"}, op: "start", kind: KindHandshake,
			want: []string{`plugin "garbage": start:`, `printed "hello from a program that is not a plugin" instead of the go-plugin handshake`}},
		{name: "speaks another protocol version", spec: PluginSpec{Name: "proto2"}, op: "start", kind: KindProtocol,
			want: []string{`plugin "proto2": start:`, "speaks stage protocol version 2, but this llmflow speaks version 1"}},
		{name: "fails its checksum", spec: PluginSpec{Name: "marker", Source: pluginPath("marker"), Checksum: wrongSum, Env: []string{"LLMFLOW_TEST_MARKER"}},
			op: "start", kind: KindChecksum, want: []string{`plugin "marker": start: checksum mismatch`, "pinned " + wrongSum, "the binary was not started"}},
		{name: "stage error", spec: PluginSpec{Name: "fail"}, op: "run", kind: KindStage,
			want: []string{`plugin "fail": run: input "data" has no rows`}},
		{name: "output outside its directory", spec: PluginSpec{Name: "bad-output"}, op: "run", kind: KindStage,
			want: []string{`plugin "bad-output": run: output "out" at /etc is not inside the output directory`}},
		{name: "missing binary", spec: PluginSpec{Name: "gone", Source: "./no/such/plugin"}, op: "start", kind: KindNotFound,
			want: []string{`plugin "gone": start: binary`, "does not exist"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			marker := filepath.Join(t.TempDir(), "started")
			t.Setenv("LLMFLOW_TEST_MARKER", marker)
			h := testHost(t, tc.opts...)
			err, pid := openAndRun(t, h, tc.spec, tc.timeout)
			t.Log(err)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if pe.Op != tc.op || pe.Kind != tc.kind {
				t.Errorf("op, kind = %s, %s; want %s, %s\n%v", pe.Op, pe.Kind, tc.op, tc.kind, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			if pe.Kind == KindChecksum {
				if _, err := os.Stat(marker); err == nil {
					t.Error("the binary ran despite the wrong checksum")
				}
			}
			if pid > 0 && syscall.Kill(pid, 0) == nil {
				t.Errorf("plugin process %d still running after Close", pid)
			}
		})
	}
	t.Run("host stays up", func(t *testing.T) {
		err, _ := openAndRun(t, testHost(t), PluginSpec{Name: "echo"}, 0)
		if err != nil {
			t.Fatal(err)
		}
	})
}

// openAndRun opens spec and runs it once, returning the first error and the
// plugin's pid (0 when it never started).
func openAndRun(t *testing.T, h *Host, spec PluginSpec, timeout time.Duration) (error, int) {
	t.Helper()
	c, err := h.Open(context.Background(), spec)
	if err != nil {
		return err, 0
	}
	defer c.Close()
	_, err = c.Run(context.Background(), RunRequest{Config: echoConfig("x", 0), OutputDir: t.TempDir(), Timeout: timeout}, nil)
	c.Close()
	return err, c.PID()
}
