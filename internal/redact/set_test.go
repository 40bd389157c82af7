package redact

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"testing"
)

func TestSetString(t *testing.T) {
	var s Set
	s.Add("s3cr3t", "s3cr3t-longer", `qu"ote`, "")
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "token s3cr3t here", "token (sensitive) here"},
		{"longest first", "s3cr3t-longer", "(sensitive)"},
		{"go quoted", `replace: "qu\"ote" is not`, `replace: "(sensitive)" is not`},
		{"json", `{"v":"qu\"ote"}`, `{"v":"(sensitive)"}`},
		{"untouched", "nothing to hide", "nothing to hide"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.String(tc.in); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	var nilSet *Set
	if nilSet.String("s3cr3t") != "s3cr3t" || !nilSet.Empty() {
		t.Error("a nil set must redact nothing")
	}
}

func TestSetError(t *testing.T) {
	var s Set
	s.Add("s3cr3t")
	err := s.Error(&fs.PathError{Op: "open", Path: "/x/s3cr3t", Err: fs.ErrNotExist})
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error not redacted: %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("redaction broke the error chain")
	}
}

func TestHandler(t *testing.T) {
	var s Set
	var buf bytes.Buffer
	l := slog.New(NewHandler(slog.NewTextHandler(&buf, nil), &s)).With("pre", "s3cr3t")
	s.Add("s3cr3t") // added after the logger was built
	l.Info("line with s3cr3t", "arg", "x s3cr3t", "err", errors.New("s3cr3t"), slog.Group("g", "k", "s3cr3t"))
	if strings.Contains(buf.String(), "s3cr3t") {
		t.Errorf("log output holds the secret: %s", buf.String())
	}
	if !strings.Contains(buf.String(), Placeholder) {
		t.Errorf("log output lost its content: %s", buf.String())
	}
}
