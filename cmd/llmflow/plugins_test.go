package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/pipeline/pluginhost"
)

func TestPluginsListBuiltins(t *testing.T) {
	res := llmflow(t, t.TempDir(), "plugins", "list")
	if res.code != 0 {
		t.Fatalf("plugins list: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if !regexp.MustCompile(`(?m)^pretrain\s+\S+\s+builtin\s+sha256:[0-9a-f]{64}\s+1$`).MatchString(res.stdout) {
		t.Errorf("no pretrain row:\n%s", res.stdout)
	}
	// echo is a test stage of the plugin host, not part of the release.
	if regexp.MustCompile(`(?m)^echo\s`).MatchString(res.stdout) {
		t.Errorf("plugins list shows the test-only echo stage:\n%s", res.stdout)
	}
}

func TestPluginsLock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tool"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	hcl := "plugin \"tool\" {\n  source = \"./tool\"\n}\n\nplugin \"pretrain\" {\n  source = \"builtin\"\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "pipeline.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := llmflow(t, dir, "plugins", "lock", "pipeline.hcl"); res.code != 0 {
		t.Fatalf("plugins lock: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	lock, diags := pluginhost.ReadLock(filepath.Join(dir, pluginhost.LockFileName))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	sum, _ := pluginhost.FileChecksum(filepath.Join(dir, "tool"))
	if got := lock.Plugins(); len(got) != 1 || got[0].Name != "tool" || got[0].Checksum != sum {
		t.Errorf("lock = %+v, want tool pinned at %s", got, sum)
	}
}

// TestCustomPluginSwap runs examples/custom-plugin's pipeline with the
// example binary, then points the plugin block at another build, and checks
// that each run records the implementation that ran.
func TestCustomPluginSwap(t *testing.T) {
	src := filepath.Join("..", "..", "examples", "custom-plugin")
	dir := copyFiles(t, src, "pipeline.hcl", "data/corpus.txt")
	v1 := buildExample(t, src, filepath.Join(dir, "bin", "shuffle-split"), "0.1.0")
	v2 := buildExample(t, src, filepath.Join(dir, "bin", "shuffle-split-v2"), "0.2.0")

	pipeline := filepath.Join(dir, "pipeline.hcl")
	orig, _ := os.ReadFile(pipeline)
	sumRE := regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	for _, tc := range []struct{ bin, version string }{{v1, "0.1.0"}, {v2, "0.2.0"}} {
		sum, _ := pluginhost.FileChecksum(tc.bin)
		text := sumRE.ReplaceAllString(string(orig), sum)
		text = strings.Replace(text, "./bin/shuffle-split", "./bin/"+filepath.Base(tc.bin), 1)
		if err := os.WriteFile(pipeline, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if res := llmflow(t, dir, "run", "pipeline.hcl"); res.code != 0 {
			t.Fatalf("run with %s: %d\n%s%s", tc.bin, res.code, res.stdout, res.stderr)
		}
		res := llmflow(t, dir, "runs", "show", "latest", "--json")
		var run struct {
			Nodes []struct {
				Addr   string `json:"addr"`
				Plugin struct {
					Name, Version, Source, SHA256 string
				} `json:"plugin"`
			} `json:"nodes"`
		}
		if err := json.Unmarshal([]byte(res.stdout), &run); err != nil {
			t.Fatalf("runs show --json: %v\n%s", err, res.stdout)
		}
		found := false
		for _, n := range run.Nodes {
			if n.Addr == "stage.corpus" {
				found = true
				if n.Plugin.SHA256 != sum || n.Plugin.Version != tc.version {
					t.Errorf("recorded plugin %+v, want version %s sha256 %s", n.Plugin, tc.version, sum)
				}
			}
		}
		if !found {
			t.Fatalf("stage.corpus not in the run record:\n%s", res.stdout)
		}
	}

	// A wrong checksum is refused before the binary starts.
	text := sumRE.ReplaceAllString(string(orig), "sha256:"+strings.Repeat("0", 64))
	_ = os.WriteFile(pipeline, []byte(text), 0o644)
	res := llmflow(t, dir, "run", "pipeline.hcl")
	if res.code == 0 || !strings.Contains(res.stderr+res.stdout, "checksum mismatch") {
		t.Errorf("wrong checksum: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

func buildExample(t *testing.T, src, out, version string) string {
	t.Helper()
	cmd := exec.Command("go", "build", "-ldflags", "-X main.Version="+version, "-o", out, ".")
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build example plugin: %v\n%s", err, b)
	}
	return out
}
