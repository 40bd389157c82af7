package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
)

const testSecret = "s3cr3t-Value-4711"

// leakyNodes log var.token; leaky fails once, broken on every attempt.
const leakyNodes = `testnode "leaky" {
  value      = var.token
  fail_times = 1
  retries    = 1
}
testnode "broken" {
  value      = var.token
  fail_times = 5
}
`

// bindSecret loads src and binds it with var.token set to token.
func bindSecret(t *testing.T, dir, src, token string) (*Bound, hcl.Diagnostics) {
	t.Helper()
	cfg, diags := Load(filepath.Join(dir, "p.hcl"), []byte(`variable "token" {
  type      = string
  sensitive = true
}
`+src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg.Bind(map[string]hcl.Expression{"token": staticExpr(cty.StringVal(token))})
}

func TestSensitiveRedactedInDiagnostics(t *testing.T) {
	for _, tc := range []struct{ name, src, hidden string }{
		{"builtin validation", `pii "p" {
  input   = dataset.d
  replace = var.token
}`, testSecret},
		{"derived value", `pii "p" {
  input   = dataset.d
  replace = "x-${upper(var.token)}"
}`, strings.ToUpper(testSecret)},
		{"type error", `tokenize "t" {
  input      = dataset.d
  tokenizer  = dataset.d
  block_size = var.token
}`, testSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "dataset \"d\" { path = \"d.jsonl\" }\n" + tc.src
			_, diags := bindSecret(t, t.TempDir(), src, testSecret)
			if !diags.HasErrors() {
				t.Fatal("expected an error")
			}
			for _, d := range diags {
				if text := d.Summary + d.Detail; strings.Contains(text, tc.hidden) || strings.Contains(text, testSecret) {
					t.Errorf("diagnostic holds the sensitive value: %s", d)
				}
			}
		})
	}
}

// TestSensitiveConfigDigestKeyed checks that the config digest of a node
// using a sensitive value cannot be recomputed from a guess without the
// store's key, and that it still follows the value.
func TestSensitiveConfigDigestKeyed(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "d.jsonl"), []byte(`{"id":"a","text":"hello"}`+"\n"), 0o644)
	src := `
dataset "d" { path = "d.jsonl" }
pii "p" {
  input   = dataset.d
  replace = "hash"
  salt    = var.token
}
`
	parts := func(token string, key []byte) (KeyParts, KeyParts, []byte) {
		b, diags := bindSecret(t, dir, src, token)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		p, diags := (&Planner{Key: key}).Plan(context.Background(), b)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		pii, _ := p.SourceParts("pii.p")
		ds, _ := p.SourceParts("dataset.d")
		return pii, ds, b.Nodes["pii.p"].Canonical
	}
	key1, key2 := bytes.Repeat([]byte{1}, 64), bytes.Repeat([]byte{2}, 64)
	pii, ds, canon := parts(testSecret, key1)
	if !bytes.Contains(canon, []byte(testSecret)) {
		t.Fatalf("the canonical config lacks the salt, so this test proves nothing: %s", canon)
	}
	if !strings.HasPrefix(pii.Config, keyedDigestPrefix) || pii.Config == keyedDigestPrefix+sha256Hex(canon) || strings.Contains(pii.Config, sha256Hex(canon)) {
		t.Errorf("config digest %s is not keyed", pii.Config)
	}
	if strings.HasPrefix(ds.Config, keyedDigestPrefix) {
		t.Errorf("a node without sensitive values got a keyed digest %s", ds.Config)
	}
	for _, tc := range []struct {
		name  string
		token string
		key   []byte
		same  bool
	}{
		{"same secret, same key", testSecret, key1, true},
		{"other secret", testSecret + "x", key1, false},
		{"other key", testSecret, key2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, _ := parts(tc.token, tc.key)
			if (got.Config == pii.Config) != tc.same || (got.Key() == pii.Key()) != tc.same {
				t.Errorf("config digest %s vs %s: want same=%v", got.Config, pii.Config, tc.same)
			}
		})
	}
}

// TestSensitiveRedactedInEvents runs a node that logs its sensitive
// configuration and fails once quoting it.
func TestSensitiveRedactedInEvents(t *testing.T) {
	store := newStore(t)
	b, diags := bindSecret(t, t.TempDir(), leakyNodes, testSecret)
	p := planBound(t, store, b, diags)
	log := &eventLog{}
	(&Engine{Store: store, Hook: log}).Run(context.Background(), p)
	all := strings.Join(log.events, "\n")
	if strings.Contains(all, testSecret) {
		t.Errorf("events hold the sensitive value:\n%s", all)
	}
	for _, want := range []string{"log testnode.leaky: value " + Redacted, "failed testnode.broken: planned failure with value \"" + Redacted} {
		if !log.has(want) {
			t.Errorf("missing %q in\n%s", want, all)
		}
	}
}

// TestDeclaredSensitiveAttribute checks that a config attribute its plugin
// declares sensitive is treated like a sensitive variable even when written
// as a literal.
func TestDeclaredSensitiveAttribute(t *testing.T) {
	src := strings.Replace(stageSrc, `note  = "hi"`, `note  = "`+testSecret+`"`, 1)
	for _, tc := range []struct {
		name      string
		sensitive []string
	}{{"declared", []string{"note"}}, {"not declared", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, src, &Planner{Runner: &fakeRunner{sensitive: tc.sensitive}})
			parts, _ := p.SourceParts("stage.base")
			declared := tc.sensitive != nil
			if keyed := strings.HasPrefix(parts.Config, keyedDigestPrefix); keyed != declared {
				t.Errorf("config digest %s: keyed = %v, want %v", parts.Config, keyed, declared)
			}
			if redacted := p.Bound.Nodes["stage.base"].Params["note"] == Redacted; redacted != declared {
				t.Errorf("param note = %s", p.Bound.Nodes["stage.base"].Params["note"])
			}
			if got := p.Bound.Secrets.String(testSecret); (got != testSecret) != declared {
				t.Errorf("secrets redact the note to %q", got)
			}
		})
	}
}

// TestSensitiveRedactedInBlockedReason plans a dataset whose path is a
// secret and missing: the plan's reason quotes the path.
func TestSensitiveRedactedInBlockedReason(t *testing.T) {
	b, diags := bindSecret(t, t.TempDir(), `dataset "d" { path = "data/${var.token}.jsonl" }`, testSecret)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags := (&Planner{}).Plan(context.Background(), b)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if n := p.Nodes[0]; n.Action != ActionBlocked || strings.Contains(n.Reason, testSecret) || !strings.Contains(n.Reason, Redacted) {
		t.Errorf("plan line %q: want blocked with the path redacted", n)
	}
}

// TestSensitiveSourcePathNotRecorded reads a file whose name holds the
// secret: the source-file part of the cache key is recorded by name.
func TestSensitiveSourcePathNotRecorded(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, testSecret+".jsonl"), []byte(`{"id":"a","text":"hello"}`+"\n"), 0o644)
	b, diags := bindSecret(t, dir, `dataset "d" { path = "${var.token}.jsonl" }`, testSecret)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags := (&Planner{}).Plan(context.Background(), b)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	parts, _ := p.SourceParts("dataset.d")
	if len(parts.Inputs) != 1 {
		t.Fatalf("source parts %v, want the one file", parts.Inputs)
	}
	for name := range parts.Inputs {
		if strings.Contains(name, testSecret) {
			t.Errorf("source part %q names the secret", name)
		}
	}
}

func TestSourceSnapshotDropsSensitiveDefaults(t *testing.T) {
	src := `variable "token" {
  type      = string
  default   = "` + testSecret + `"
  sensitive = true
}
variable "list" {
  type      = list(string)
  default   = ["a", "` + testSecret + `-2"]
  sensitive = true
}
variable "seed" {
  type    = number
  default = 7
}
dataset "d" { path = "d.jsonl" }
`
	cfg, diags := Load(filepath.Join(t.TempDir(), "p.hcl"), []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	snap := cfg.SourceSnapshot()
	if bytes.Contains(snap, []byte(testSecret)) {
		t.Fatalf("snapshot holds a sensitive default:\n%s", snap)
	}
	again, diags := Load(cfg.Filename, snap)
	if diags.HasErrors() {
		t.Fatalf("snapshot does not load: %v\n%s", diags, snap)
	}
	for _, tc := range []struct {
		name    string
		present bool
	}{{"token", false}, {"list", false}, {"seed", true}} {
		t.Run(tc.name, func(t *testing.T) {
			d := again.Variables[tc.name].Default
			if present := d != cty.NilVal && !d.IsNull(); present != tc.present {
				t.Errorf("default %#v, want present=%v", d, tc.present)
			}
		})
	}
}

// planBound plans what a binding returned, failing t on any diagnostic.
func planBound(t *testing.T, store *artifact.Store, b *Bound, diags hcl.Diagnostics) *Plan {
	t.Helper()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags := (&Planner{Store: store}).Plan(context.Background(), b)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

// TestSensitiveRedactedInJobs runs nodes that log and fail with a secret
// as job processes: the events and result files they leave in the store
// and what they print, which a cluster keeps as the job's log, hold only
// the placeholder.
func TestSensitiveRedactedInJobs(t *testing.T) {
	store := newStore(t)
	b, diags := bindSecret(t, t.TempDir(), leakyNodes, testSecret)
	p := planBound(t, store, b, diags)
	log := &eventLog{}
	runner := &processRunner{}
	e := &Engine{Store: store, Hook: log, Executor: ExecutorSlurm,
		JobRunners: map[string]JobRunner{ExecutorSlurm: runner}, JobCommand: []string{"llmflow"}}
	e.Run(context.Background(), p)
	if !log.has("failed testnode.broken: planned failure with value \"" + Redacted) {
		t.Fatalf("the broken node did not fail as planned:\n%s", strings.Join(log.events, "\n"))
	}
	if bytes.Contains(runner.output, []byte(testSecret)) || !bytes.Contains(runner.output, []byte(Redacted)) {
		t.Errorf("the job printed:\n%s", runner.output)
	}
	// Failed nodes' job directories stay as evidence.
	files, _ := filepath.Glob(filepath.Join(store.Dir(), "jobs", "*", "*.json*"))
	var results int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == jobSpecFile {
			continue // the job's input: it needs the value
		}
		if bytes.Contains(data, []byte(testSecret)) {
			t.Errorf("%s holds the sensitive value:\n%s", f, data)
		}
		if filepath.Base(f) == jobResultFile {
			results++
		}
	}
	if results == 0 {
		t.Errorf("found no result file in %v, want the failed jobs'", files)
	}
	if all := strings.Join(log.events, "\n"); strings.Contains(all, testSecret) {
		t.Errorf("events hold the sensitive value:\n%s", all)
	}
}
