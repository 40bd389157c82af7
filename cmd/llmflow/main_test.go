package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// binary is the llmflow executable built once for the CLI tests: they run
// real processes, so exit codes, signals and files are the real ones.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "llmflow-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "llmflow")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building llmflow: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if trained.dir != "" { // trainedRun's shared run
		os.RemoveAll(trained.dir)
	}
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// llmflow runs the binary in dir with a clean variable environment.
func llmflow(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return llmflowInput(t, dir, "", args...)
}

// llmflowInput is llmflow with stdin as the process's standard input.
func llmflowInput(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

// quickstart copies examples/quickstart into a fresh directory.
func quickstart(t *testing.T) string {
	return copyFiles(t, filepath.Join("..", "..", "examples", "quickstart"), "pipeline.hcl", "data/web.jsonl", "data/notes.txt")
}

// fixture copies testdata/pipeline into a fresh directory.
func fixture(t *testing.T) string {
	return copyFiles(t, filepath.Join("testdata", "pipeline"), "pipeline.hcl", "data/docs.jsonl", "data/lines.txt")
}

var padding = regexp.MustCompile(` {2,}`)

// unpad collapses table padding, whose width follows the normalised fields.
func unpad(s string) string { return padding.ReplaceAllString(s, "  ") }

func copyFiles(t *testing.T, src string, names ...string) string {
	t.Helper()
	dst := t.TempDir()
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(dst, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

var normalisers = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`\d{8}-\d{6}-[0-9a-f]{6}`), "RUNID"},
	{regexp.MustCompile(`\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?Z?`), "TIME"},
	{regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|ms|s)\b`), "DUR"},
	{regexp.MustCompile(`(?m)^Host: .*$`), "Host: HOST"},
	{regexp.MustCompile(`"duration_s":[0-9.e-]+`), `"duration_s":DUR`},
	{regexp.MustCompile(`(?m)[ \t]+$`), ""},
}

// normalise removes what changes between runs: ids, times, durations,
// absolute paths and column padding.
func normalise(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "$DIR")
	for _, n := range normalisers {
		s = n.re.ReplaceAllString(s, n.repl)
	}
	return s
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden file\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}
