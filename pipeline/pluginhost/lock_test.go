package pluginhost

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLockRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), LockFileName)
	l, diags := ReadLock(path)
	if diags.HasErrors() || len(l.Plugins()) != 0 {
		t.Fatalf("missing lock file: %v, %v", l.Plugins(), diags)
	}
	sum := "sha256:" + strings.Repeat("ab", 32)
	l.Set(LockedPlugin{Name: "shuffle", Source: "./bin/shuffle", Checksum: sum})
	l.Set(LockedPlugin{Name: "alpha", Source: "/opt/alpha", Checksum: sum})
	if err := l.Write(path); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	back, diags := ReadLock(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := back.Plugins(); len(got) != 2 || got[0].Name != "alpha" || got[1].Source != "./bin/shuffle" {
		t.Errorf("read back %+v", got)
	}
	if err := back.Write(path); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if string(first) != string(second) {
		t.Errorf("rewrite changed the file:\n%s\n---\n%s", first, second)
	}
}

func TestLockInvalid(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"bad checksum", "plugin \"a\" {\n source = \"x\"\n checksum = \"md5:00\"\n}\n", "Invalid checksum"},
		{"missing checksum", `plugin "a" { source = "x" }`, `Missing required argument`},
		{"duplicate", "plugin \"a\" {\n source = \"x\"\n checksum = \"sha256:" + strings.Repeat("0", 64) + "\"\n}\n" +
			"plugin \"a\" {\n source = \"x\"\n checksum = \"sha256:" + strings.Repeat("0", 64) + "\"\n}\n", "Duplicate plugin in lock file"},
		{"unknown block", `provider "a" {}`, "Unsupported block type"},
		{"not a string", "plugin \"a\" {\n source = 3\n checksum = \"x\"\n}\n", "Invalid source"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := ParseLock([]byte(tc.src), LockFileName)
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) {
				t.Errorf("diags = %v, want %q", diags, tc.want)
			}
			if strings.Contains(tc.name, "duplicate") && !strings.Contains(diags.Error(), LockFileName+":5") {
				t.Errorf("duplicate not reported at its line: %v", diags)
			}
		})
	}
}

func TestPin(t *testing.T) {
	h := New()
	dir := t.TempDir()
	bin := filepath.Join(dir, "plugin")
	if err := os.WriteFile(bin, []byte("v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	sum1, _ := FileChecksum(bin)
	l := NewLock()

	spec := PluginSpec{Name: "p", Source: "./plugin", Dir: dir}
	changed, err := h.Pin(l, &spec)
	if err != nil || !changed || spec.Checksum != sum1 {
		t.Fatalf("first use: changed=%v err=%v checksum=%s", changed, err, spec.Checksum)
	}

	// The binary changes: the lock keeps the old pin, so Open will refuse it.
	if err := os.WriteFile(bin, []byte("v2"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec = PluginSpec{Name: "p", Source: "./plugin", Dir: dir}
	changed, err = h.Pin(l, &spec)
	if err != nil || changed || spec.Checksum != sum1 {
		t.Fatalf("locked: changed=%v err=%v checksum=%s", changed, err, spec.Checksum)
	}

	// A new source is a deliberate swap: pinned afresh.
	other := filepath.Join(dir, "other")
	_ = os.WriteFile(other, []byte("other"), 0o755)
	sumOther, _ := FileChecksum(other)
	spec = PluginSpec{Name: "p", Source: "./other", Dir: dir}
	if changed, err = h.Pin(l, &spec); err != nil || !changed || spec.Checksum != sumOther {
		t.Fatalf("new source: changed=%v err=%v checksum=%s", changed, err, spec.Checksum)
	}

	builtinSpec := PluginSpec{Name: "echo", Source: SourceBuiltin}
	if changed, _ := h.Pin(l, &builtinSpec); changed || builtinSpec.Checksum != "" {
		t.Error("built-in plugins must not be locked")
	}
}

// FuzzParseLock: a lock file is user-editable input and must never panic.
func FuzzParseLock(f *testing.F) {
	l := NewLock()
	l.Set(LockedPlugin{Name: "a", Source: "./a", Checksum: "sha256:" + strings.Repeat("0", 64)})
	f.Add(l.Bytes())
	f.Add([]byte("plugin \"a\" {\n source = \"x\"\n checksum = 1\n}\n"))
	f.Add([]byte(`plugin { }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		l, _ := ParseLock(src, LockFileName)
		_ = l.Bytes()
	})
}
