package pluginhost

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// pluginDir holds the faulty test plugin, symlinked once per mode.
var pluginDir string

var modes = []string{
	"echo", "marker", "exit-early", "hang-start", "garbage", "proto2",
	"panic", "panic-handler", "exit", "hang-run", "fail", "bad-output", "env", "stderr", "gp-automtls", "leak",
}

func TestMain(m *testing.M) {
	if os.Getenv("PLUGINHOST_TEST_HOST") != "" {
		hostHelper()
		return
	}
	dir, err := os.MkdirTemp("", "pluginhost-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if err := buildPlugins(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		pluginDir = dir
		return m.Run()
	}()
	os.Exit(code)
}

func buildPlugins(dir string) error {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	bin := filepath.Join(dir, "faulty")
	cmd := exec.Command(goBin, "build", "-o", bin, "./testdata/faulty")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build test plugin: %w", err)
	}
	for _, m := range modes {
		if err := os.Symlink(bin, filepath.Join(dir, m)); err != nil {
			return err
		}
	}
	return nil
}

// pluginPath returns the test plugin serving mode.
func pluginPath(mode string) string { return filepath.Join(pluginDir, mode) }

// testHost returns a host whose built-ins are served by the test plugin.
func testHost(t testing.TB, opts ...Option) *Host {
	t.Helper()
	base := []Option{WithBuiltinCommand(filepath.Join(pluginDir, "faulty"))}
	return New(append(base, opts...)...)
}

// hostHelper runs as a separate host process for the parent-death test: it
// opens a plugin whose run hangs, prints the plugin's pid and waits to be
// killed.
func hostHelper() {
	h := New(WithBuiltinCommand(os.Getenv("PLUGINHOST_TEST_BIN")))
	c, err := h.Open(context.Background(), PluginSpec{Name: "hang-run", Source: SourceBuiltin})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println(c.PID())
	go func() { _, _ = c.Run(context.Background(), RunRequest{OutputDir: os.TempDir()}, nil) }()
	time.Sleep(time.Hour)
}
