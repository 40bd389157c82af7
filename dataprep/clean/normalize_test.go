package clean

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		in   string
		want string
	}{
		{"ascii unchanged", nil, "Hello, world.", "Hello, world."},
		{"nfc composes", nil, "cafe\u0301", "café"},
		{"nfc keeps compatibility forms", nil, "ﬁle ＡＢＣ", "ﬁle ＡＢＣ"},
		{"nfkc folds compatibility forms", func(c *Config) { c.Normalization = NormNFKC }, "ﬁle ＡＢＣ １２３", "file ABC 123"},
		{"nfkc ideographic space", func(c *Config) { c.Normalization = NormNFKC }, "天\u3000\u3000地", "天 地"},
		{"no normalisation", func(c *Config) { c.Normalization = NormNone }, "cafe\u0301", "cafe\u0301"},
		{"zero width and bom", nil, "\ufeffzero\u200bwidth\u2060joined", "zerowidthjoined"},
		{"soft hyphen", nil, "hy\u00adphen", "hyphen"},
		{"bidi controls", nil, "a\u202eb\u202cc\u200fd\u2066e\u2069", "abcde"},
		{"zwj kept", nil, "👩\u200d💻 and كتاب\u200cها", "👩\u200d💻 and كتاب\u200cها"},
		{"controls", nil, "a\x00b\x07c\x1bd\u0085e\u0090f", "abcd\nef"},
		{"invalid utf8", nil, "ok\xff\xfe then", "ok then"},
		{"removal then composition", nil, "e\u200b\u0301", "é"},
		{"spaces collapse", nil, "a  \t b\u00a0\u2003c", "a b c"},
		{"lines trimmed", nil, "  first line  \n\t second\t\n", "first line\nsecond"},
		{"crlf", nil, "one\r\ntwo\rthree", "one\ntwo\nthree"},
		{"paragraphs kept, blank runs capped", nil, "p1\n\n\n\n  \n p2", "p1\n\np2"},
		{"unicode line separators", nil, "a\u2028b\u2029c", "a\nb\nc"},
		{"chinese indentation", nil, "\u3000\u3000盖闻天地之数，\u3000有十二万。", "盖闻天地之数， 有十二万。"},
		{"whitespace off", func(c *Config) { c.NormalizeWhitespace = false }, " a  b \r\n", " a  b \r\n"},
		{"invisible off", func(c *Config) { c.RemoveInvisible = false }, "a\u200bb", "a\u200bb"},
		{"html", func(c *Config) { c.StripHTML = true }, "<html><head><title>T</title><style>p{x:1}</style></head><body><p>Fish &amp; chips</p><script>alert(1)</script><p>a < b &lt; c&#33; &#x4e2d;</p><!-- hidden --></body></html>",
			"T\n\nFish & chips\n\na < b < c! 中"},
		{"html table cells", func(c *Config) { c.StripHTML = true }, "<table><tr><td>a</td><td>b</td></tr></table>", "a b"},
		{"html unknown entity", func(c *Config) { c.StripHTML = true }, "AT&T &bogus; x", "AT&T &bogus; x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if c.mod != nil {
				c.mod(&cfg)
			}
			cl, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := cl.Normalize(c.in); got != c.want {
				t.Fatalf("Normalize(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestNormalizeNoAllocs(t *testing.T) {
	cl, _ := New(DefaultConfig())
	doc := strings.Repeat(enDoc()+"\n\n"+zhDoc()+"\n", 5)
	cl.Clean(doc)
	allocs := testing.AllocsPerRun(10, func() { cl.Clean(doc) })
	if allocs > 0 {
		t.Fatalf("Clean allocates %v times per document once warm, want 0", allocs)
	}
}

// FuzzClean checks the text path on arbitrary input: no panic, valid UTF-8
// out, idempotent normalisation (NFC and NFKC), and a kept text that a
// second pass keeps unchanged in normalisation.
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"", "Hello", enDoc(), zhDoc(), "a\u200b\u0301\ufeff", "\xff\xfe\r\n\r\n\n\n x", "ﬁ\u3000\u00a8 \u0301",
		"<p>a &amp; b</p>", "[1][edit] {x} lorem ipsum", "• a\n• b...\n###", "e\u0301\u0327\u0300",
		"第一回\u3000灵根育孕源流出", "第", "A. B. C. D. E. tail", "甲。乙。丙。丁。戊。己", "但见：……",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	nfc, _ := New(DefaultConfig())
	kc := DefaultConfig()
	kc.Normalization = NormNFKC
	nfkc, _ := New(kc)
	hc := DefaultConfig()
	hc.StripHTML = true
	html, _ := New(hc)
	f.Fuzz(func(t *testing.T, s string, useKC bool) {
		cl := nfc
		if useKC {
			cl = nfkc
		}
		n1 := cl.Normalize(s)
		if !utf8.ValidString(n1) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, n1)
		}
		form := norm.NFC
		if useKC {
			form = norm.NFKC
		}
		if !form.IsNormalString(n1) {
			t.Fatalf("Normalize(%q) = %q is not in normal form", s, n1)
		}
		if n2 := cl.Normalize(n1); n2 != n1 {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, n1, n2)
		}
		res := cl.Clean(s)
		if !utf8.ValidString(res.Text) {
			t.Fatalf("Clean(%q).Text invalid UTF-8", s)
		}
		if res.Reason == Keep && cl.Normalize(res.Text) != res.Text {
			t.Fatalf("kept text %q is not normalised", res.Text)
		}
		if h := html.Clean(s); !utf8.ValidString(h.Text) {
			t.Fatalf("HTML Clean(%q) invalid UTF-8", s)
		}
	})
}

func TestInvalidUTF8Counted(t *testing.T) {
	cl, _ := New(DefaultConfig())
	cl.Clean("fine")
	cl.Clean("bad \xff byte")
	if got := cl.Stats().InvalidUTF8Repaired; got != 1 {
		t.Fatalf("InvalidUTF8Repaired = %d, want 1", got)
	}
}
