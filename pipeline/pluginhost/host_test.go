package pluginhost

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/internal/echostage"
	"github.com/llmflow/llmflow/internal/redact"
)

// events records what a stage reported.
type events struct {
	mu       sync.Mutex
	progress int
	metrics  map[string]float64
	logs     []string
}

func (e *events) Progress(done, total int64, unit string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.progress++
}

func (e *events) Metric(step int64, name string, value float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.metrics == nil {
		e.metrics = map[string]float64{}
	}
	e.metrics[name] = value
}

func (e *events) Log(line string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.logs = append(e.logs, line)
}

func echoConfig(msg string, steps int) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"message": cty.StringVal(msg), "steps": cty.NumberIntVal(int64(steps)), "step_ms": cty.NumberIntVal(10),
	})
}

func TestBuiltinEchoRoundTrip(t *testing.T) {
	h := testHost(t)
	ctx := context.Background()
	c, err := h.Open(ctx, PluginSpec{Name: "echo", Source: SourceBuiltin})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	id := c.Identity()
	sum, _ := FileChecksum(filepath.Join(pluginDir, "faulty"))
	want := Identity{Name: "echo", Stage: "echo", Version: echostage.Version, Source: "builtin",
		Path: filepath.Join(pluginDir, "faulty"), SHA256: sum, Protocol: 1}
	if id != want {
		t.Errorf("Identity() = %+v, want %+v", id, want)
	}
	if d := c.Describe(); len(d.Config) != 3 || d.Outputs[0].Kind != "echo" {
		t.Errorf("unexpected description %+v", d)
	}

	diags, err := c.Validate(ctx, echoConfig("x", -1))
	if err != nil {
		t.Fatal(err)
	}
	if len(diags) != 1 || diags[0].Attribute != "steps" || !diags.HasErrors() {
		t.Errorf("Validate(steps=-1) = %v, want one error about steps", diags)
	}

	out := t.TempDir()
	var ev events
	outs, err := c.Run(ctx, RunRequest{Config: echoConfig("hi there", 2), OutputDir: out}, &ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || outs[0].Name != "out" || outs[0].Path != filepath.Join(out, "out") || outs[0].Kind != "echo" {
		t.Fatalf("outputs = %+v", outs)
	}
	msg, err := os.ReadFile(filepath.Join(out, "out", "message.txt"))
	if err != nil || string(msg) != "hi there\n" {
		t.Errorf("message.txt = %q, %v", msg, err)
	}
	if ev.progress != 3 || ev.metrics["message_bytes"] != 8 || len(ev.logs) != 1 {
		t.Errorf("events = %+v", &ev)
	}
}

func TestRunDefaultsApplied(t *testing.T) {
	c, err := testHost(t).Open(context.Background(), PluginSpec{Name: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out := t.TempDir()
	// A host that skipped ConfigSpec still gets the documented defaults.
	if _, err := c.Run(context.Background(), RunRequest{Config: cty.EmptyObjectVal, OutputDir: out}, nil); err != nil {
		t.Fatal(err)
	}
	msg, _ := os.ReadFile(filepath.Join(out, "out", "message.txt"))
	if string(msg) != "hello\n" {
		t.Errorf("message.txt = %q, want the default", msg)
	}
}

func TestRunCancelStopsGracefully(t *testing.T) {
	h := testHost(t, WithStopGrace(5*time.Second))
	c, err := h.Open(context.Background(), PluginSpec{Name: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	var ev events
	start := time.Now()
	_, err = c.Run(ctx, RunRequest{Config: echoConfig("x", 10000), OutputDir: t.TempDir()}, &ev)
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != KindCanceled || !strings.Contains(err.Error(), "the stage stopped") {
		t.Fatalf("err = %v, want a graceful cancel", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stop took %s", d)
	}
	if len(ev.logs) == 0 || !strings.HasPrefix(ev.logs[len(ev.logs)-1], "stopped after step") {
		t.Errorf("the stage did not report its stop: %v", ev.logs)
	}
}

func TestEnvironmentAllowlist(t *testing.T) {
	t.Setenv("LLMFLOW_TEST_SECRET", "s3cret")
	t.Setenv("LLMFLOW_TEST_ALLOWED", "1")
	t.Setenv("OMP_NUM_THREADS", "1")
	c, err := testHost(t).Open(context.Background(), PluginSpec{Name: "env", Env: []string{"LLMFLOW_TEST_ALLOWED"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var ev events
	if _, err := c.Run(context.Background(), RunRequest{Config: echoConfig("x", 0), OutputDir: t.TempDir()}, &ev); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range ev.logs {
		seen[l] = true
	}
	for _, name := range []string{"PATH", "OMP_NUM_THREADS", "LLMFLOW_TEST_ALLOWED"} {
		if !seen[name] {
			t.Errorf("%s not passed to the plugin", name)
		}
	}
	if seen["LLMFLOW_TEST_SECRET"] {
		t.Error("LLMFLOW_TEST_SECRET leaked to the plugin")
	}
}

func TestChecksumPinned(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "started")
	t.Setenv("LLMFLOW_TEST_MARKER", marker)
	path := pluginPath("marker")
	sum, err := FileChecksum(path)
	if err != nil {
		t.Fatal(err)
	}
	spec := PluginSpec{Name: "sampler", Source: path, Checksum: sum, Env: []string{"LLMFLOW_TEST_MARKER"}}
	h := testHost(t)
	c, err := h.Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("correct checksum: plugin did not start: %v", err)
	}
	if got := c.Identity().SHA256; got != sum {
		t.Errorf("Identity().SHA256 = %s, want %s", got, sum)
	}
}

func TestPluginDiesWithHost(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PLUGINHOST_TEST_HOST=1", "PLUGINHOST_TEST_BIN="+filepath.Join(pluginDir, "faulty"))
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("host helper: %q", line)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("plugin %d not running before the host was killed: %v", pid, err)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("plugin %d outlived its killed host", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPluginOutputReachesLogger(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c, err := testHost(t, WithLogger(logger)).Open(context.Background(), PluginSpec{Name: "stderr"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(context.Background(), RunRequest{Config: echoConfig("x", 0), OutputDir: t.TempDir()}, nil); err != nil {
		t.Fatal(err)
	}
	// The plugin's stdout and stderr reach the host on their own streams,
	// which can lag behind the Run reply on a loaded machine; closing the
	// client drops what is still in flight, so wait for the lines first.
	wants := []string{`msg="plugin says hello on stderr"`, `msg="plugin says hello on stdout"`, "plugin=stderr"}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if containsAll(buf.String(), wants) {
			break
		}
	}
	c.Close()
	out := buf.String()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

// TestRedactsPluginOutput runs a plugin that prints a secret on stdout and
// stderr and exits: neither the log nor the error may hold it.
func TestRedactsPluginOutput(t *testing.T) {
	const secret = "hunter2-very-secret"
	var buf syncBuffer
	var secrets redact.Set
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c, err := testHost(t, WithLogger(logger), WithRedaction(&secrets)).Open(context.Background(), PluginSpec{Name: "leak"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	secrets.Add(secret) // known only once the pipeline is bound
	_, err = c.Run(context.Background(), RunRequest{Config: echoConfig(secret, 0), OutputDir: t.TempDir()}, nil)
	if err == nil {
		t.Fatal("the leak plugin exited, but Run succeeded")
	}
	wants := []string{"leak on stderr: " + redact.Placeholder, "leak on stdout: " + redact.Placeholder}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if containsAll(buf.String(), wants) {
			break
		}
	}
	if out := buf.String(); strings.Contains(out, secret) || !containsAll(out, wants) {
		t.Errorf("log holds the secret or lacks the redacted lines:\n%s", out)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error holds the secret: %v", err)
	}
}

func TestOpenHonoursDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := testHost(t).Open(ctx, PluginSpec{Name: "hang-start"})
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != KindTimeout {
		t.Fatalf("err = %v, want a start timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %s despite a 300ms deadline", d)
	}
}

// TestGoPluginAutoMTLS runs a plugin that ignores the host's certificate
// pipe and announces its own certificate, as go-plugin's AutoMTLS does.
func TestGoPluginAutoMTLS(t *testing.T) {
	err, _ := openAndRun(t, testHost(t), PluginSpec{Name: "gp-automtls"}, 0)
	if err != nil {
		t.Fatal(err)
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
