package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/pipeline"
	"github.com/llmflow/llmflow/pipeline/pluginhost"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

// TestSensitiveNeverStored sets a sensitive variable from the environment,
// uses it in a node's configuration, and checks that the value appears in
// no output and in no file llmflow wrote: database, WAL, store.
func TestSensitiveNeverStored(t *testing.T) {
	const secret = "s3cr3t-token-4711"
	dir := fixture(t)
	src := `
variable "token" {
  type      = string
  sensitive = true
}

dataset "docs" {
  path     = "data/docs.jsonl"
  id_field = var.token
}
`
	os.WriteFile(filepath.Join(dir, "secret.hcl"), []byte(src), 0o644)
	for _, args := range [][]string{{"plan", "secret.hcl"}, {"run", "--json", "secret.hcl"}, {"runs", "show", "--json", "latest"}} {
		cmd := exec.Command(binary, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LLMFLOW_VAR_token="+secret)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		if bytes.Contains(out, []byte(secret)) {
			t.Fatalf("%v printed the sensitive value:\n%s", args, out)
		}
	}
	filepath.Walk(filepath.Join(dir, ".llmflow"), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the sensitive value", path)
		}
		return nil
	})
}

// sensitivePipeline uses var.token as a pii salt and in the config of a
// stage whose plugin repeats it in diagnostics, log events, stdout and
// stderr. The %s verbs take the pii replace mode and the stage's reject.
const sensitivePipeline = `
variable "token" {
  type      = string
  sensitive = true
}

plugin "leak" { source = "./leak" }

dataset "docs" { path = "data/docs.jsonl" }

pii "docs" {
  input   = dataset.docs
  replace = %s
  salt    = var.token
}

stage "leak" "use" {
  data = pii.docs
  config {
    token  = var.token
    reject = %s
  }
}
`

// TestSensitiveValueNeverLeaks runs real commands on a pipeline whose
// secret reaches a dataprep node, a stage plugin that prints it, a failing
// built-in validation and a failing plugin validation. Neither the value
// nor an unkeyed sha256 of a configuration holding it may appear in any
// output or in any file under the pipeline directory.
func TestSensitiveValueNeverLeaks(t *testing.T) {
	const secret = "Tr0ub4dor-&-3-horse"
	dir := fixture(t)
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "leak"), "./testdata/leakstage").CombinedOutput(); err != nil {
		t.Fatalf("building the test plugin: %v\n%s", err, out)
	}
	write := func(name, replace, reject string) {
		src := fmt.Sprintf(sensitivePipeline, replace, reject)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("secret.hcl", `"hash"`, "false")
	write("bad-replace.hcl", "var.token", "false")
	write("bad-stage.hcl", `"hash"`, "true")

	var outputs []string
	for _, tc := range []struct {
		args     []string
		code     int
		redacted bool // the output must show the placeholder where the value was
	}{
		{[]string{"validate", "bad-replace.hcl"}, exitInvalid, true},
		{[]string{"plan", "bad-stage.hcl"}, exitInvalid, true},
		{[]string{"plan", "secret.hcl"}, exitOK, false},
		{[]string{"run", "secret.hcl"}, exitOK, true},
		{[]string{"run", "--json", "--no-cache", "secret.hcl"}, exitOK, true},
		{[]string{"plan", "--json", "secret.hcl"}, exitOK, false},
		{[]string{"runs", "show", "latest"}, exitOK, false},
		{[]string{"runs", "show", "--json", "latest"}, exitOK, true},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cmd := exec.Command(binary, tc.args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "LLMFLOW_VAR_token="+secret, "LLMFLOW_LOG=info")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Fatalf("exit %d (%v), want %d\nstdout:\n%s\nstderr:\n%s", code, err, tc.code, &stdout, &stderr)
			}
			out := stdout.String() + stderr.String()
			if tc.redacted && !strings.Contains(out, pipeline.Redacted) {
				t.Errorf("output shows no %s where the value was:\n%s", pipeline.Redacted, out)
			}
			outputs = append(outputs, out)
		})
	}

	// The keyed digests are stable, so the cache holds; a new value re-runs.
	for _, tc := range []struct{ value, want string }{
		{secret, "= pii.docs (cached)"},
		{secret + "!", "+ pii.docs (will run: config changed)"},
	} {
		cmd := exec.Command(binary, "plan", "secret.hcl")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LLMFLOW_VAR_token="+tc.value)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("plan with the value %s: %v, want %q in:\n%s", map[bool]string{true: "unchanged", false: "changed"}[tc.value == secret], err, tc.want, out)
		}
		outputs = append(outputs, string(out))
	}

	forbidden := unkeyedDigests(t, dir, secret)
	// JSON writers escape "&" as \u0026.
	escaped, _ := json.Marshal(secret)
	check := func(where string, b []byte) {
		t.Helper()
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, escaped[1:len(escaped)-1]) {
			t.Errorf("%s holds the sensitive value", where)
		}
		for d, what := range forbidden {
			if bytes.Contains(b, []byte(d)) {
				t.Errorf("%s holds %s", where, what)
			}
		}
	}
	for i, out := range outputs {
		check(fmt.Sprintf("output of command %d", i+1), []byte(out))
	}
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
		}
		check(path, b)
		return nil
	})
	fi, err := os.Stat(filepath.Join(dir, ".llmflow", "store", artifact.SecretName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("store secret: %v, mode %v; want a 0600 file", err, fi.Mode())
	}
}

// unkeyedDigests returns what an unkeyed digest of the secret would look
// like wherever llmflow records digests: sha256 of the value, of each
// node's canonical configuration, and every recorded cache key recomputed
// from such a configuration digest.
func unkeyedDigests(t *testing.T, dir, secret string) map[string]string {
	t.Helper()
	hexSum := func(b []byte) string {
		s := sha256.Sum256(b)
		return hex.EncodeToString(s[:])
	}
	out := map[string]string{hexSum([]byte(secret)): "sha256 of the value"}
	cfg, diags := pipeline.LoadFile(filepath.Join(dir, "secret.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b, diags := cfg.Bind(map[string]hcl.Expression{"token": hcl.StaticExpr(cty.StringVal(secret), hcl.Range{})})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	runner := &hostRunner{host: pluginhost.New(), clients: map[pipeline.StagePlugin]*pluginhost.Client{}}
	defer func() {
		for _, c := range runner.clients {
			c.Close()
		}
	}()
	if _, diags := (&pipeline.Planner{Runner: runner}).Plan(context.Background(), b); diags.HasErrors() {
		t.Fatal(diags)
	}
	configs := map[string]string{}
	for _, addr := range []string{"pii.docs", "stage.use"} {
		canon := b.Nodes[addr].Canonical
		if escaped, _ := json.Marshal(secret); !bytes.Contains(canon, escaped) {
			t.Fatalf("canonical config of %s lacks the value: %s", addr, canon)
		}
		configs[addr] = hexSum(canon)
		out[configs[addr]] = "the unkeyed config digest of " + addr
	}
	db, err := runstore.OpenReadOnly(filepath.Join(dir, ".llmflow", "llmflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	runs, err := db.ListRuns(ctx, runstore.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		d, err := db.GetRun(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range d.Nodes {
			var parts pipeline.KeyParts
			if configs[n.Addr] == "" || json.Unmarshal(n.KeyComponents, &parts) != nil {
				continue
			}
			if !strings.HasPrefix(parts.Config, "hmac-sha256:") {
				t.Errorf("%s recorded config digest %q, want a keyed one", n.Addr, parts.Config)
			}
			parts.Config = configs[n.Addr]
			out[parts.Key()] = "a cache key of " + n.Addr + " from its unkeyed config digest"
		}
	}
	return out
}

// TestSensitiveDefaultNotStored runs the fixture, whose sensitive variable
// has a default in the file: the run record's source snapshot must not
// hold it, and reproduce still finds it in the pipeline file.
func TestSensitiveDefaultNotStored(t *testing.T) {
	const value = "do-not-store"
	dir := fixture(t)
	for _, args := range [][]string{{"run", "pipeline.hcl"}, {"runs", "show", "--json", "latest"}, {"reproduce", "latest"}} {
		r := llmflow(t, dir, args...)
		if r.code != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, value) {
			t.Errorf("%v printed the sensitive default", args)
		}
	}
	filepath.Walk(filepath.Join(dir, ".llmflow"), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(value)) {
			t.Errorf("%s holds the sensitive default", path)
		}
		return nil
	})
}
