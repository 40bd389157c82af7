package pii

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzScrub(f *testing.F) {
	for _, s := range []string{
		"", "bob@example.com", "请联系13812345678谢谢", "4111 1111 1111 1111", "GB82WEST12345698765432",
		"11010519491231002X", "2001:db8::1", "::", ":::", "a::b::c", "fe80::1:", "+86 (0) 138", "(+1)",
		"-----BEGIN PRIVATE KEY-----\nabc", "api_key=\"", "password: 'abc", "ghp_", "github_pat_x",
		"AKIA", "1.2.3.4.5", "@@@", "x@y.", "555-123-4567 ext", "\xff\xfe@a.bc", "123-45-6789x",
		"身份证号码：11010519491231002Xabc", "手机：13812345678abc", "ghp_abcdefghijklmnopqrstuvwxyz01234567899", "secret:--x",
	} {
		f.Add(s, uint8(0))
	}
	var ps []*Scrubber
	for _, mode := range []string{ReplaceTag, ReplaceMask, ReplaceHash} {
		cfg := DefaultConfig()
		cfg.Replace = mode
		p, err := New(cfg)
		if err != nil {
			f.Fatal(err)
		}
		ps = append(ps, p)
	}
	f.Fuzz(func(t *testing.T, s string, mode uint8) {
		p := ps[int(mode)%len(ps)]
		ms := p.Find(s, nil)
		prev := 0
		for _, m := range ms {
			if m.Start < prev || m.End <= m.Start || m.End > len(s) || m.Entity >= NumEntities {
				t.Fatalf("bad match %+v after %d in %q", m, prev, s)
			}
			prev = m.End
		}
		out, c := p.Scrub(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out for %q: %q", s, out)
		}
		if c.Total() != int64(len(ms)) {
			t.Fatalf("counts %v for %d matches", c, len(ms))
		}
		if len(ms) == 0 && utf8.ValidString(s) && out != s {
			t.Fatalf("changed without matches: %q -> %q", s, out)
		}
		// Scrubbing is idempotent on tags: a second pass finds nothing new
		// inside a tag.
		if int(mode)%len(ps) == 0 {
			again, _ := p.Scrub(out)
			if strings.Count(again, "<") < strings.Count(out, "<") {
				t.Fatalf("second pass lost a tag: %q -> %q", out, again)
			}
		}
	})
}

// TestPathologicalInputsAreLinear feeds 1 MB texts made of one trigger
// repeated; each must scrub in well under a second.
func TestPathologicalInputsAreLinear(t *testing.T) {
	p, _ := New(DefaultConfig())
	for _, unit := range []string{
		"-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN PRIVATE KEY----- x -----END ", "@", "a@", "@b.cc ", "1", "1 ", "1-", "1.",
		"::", "a:", "ff:", "=", "key=", "password: ", "_", "ghp_", "-", "sk-", "+1 ", "(", "(+1) ", "A", "DE89 ", "AKIA", "x\u4e2d",
	} {
		s := strings.Repeat(unit, 1<<20/len(unit))
		start := time.Now()
		out, _ := p.Scrub(s)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%q x %d: %v", unit, len(s)/len(unit), d)
		}
		if !utf8.ValidString(out) {
			t.Errorf("%q: invalid UTF-8 out", unit)
		}
	}
}
