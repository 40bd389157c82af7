package textutil

import (
	"strings"
	"testing"
)

func TestRuneScript(t *testing.T) {
	cases := []struct {
		r    rune
		want Script
	}{
		{'a', ScriptLatin}, {'Z', ScriptLatin}, {'é', ScriptLatin}, {'Ａ', ScriptLatin},
		{'7', ScriptNone}, {'.', ScriptNone}, {' ', ScriptNone}, {'，', ScriptNone}, {'。', ScriptNone},
		{'中', ScriptHan}, {'㐀', ScriptHan}, {'𠀀', ScriptHan}, {'〇', ScriptHan},
		{'あ', ScriptKana}, {'カ', ScriptKana}, {'한', ScriptHangul},
		{'Ж', ScriptOther}, {'ع', ScriptOther}, {'\u0301', ScriptNone},
	}
	for _, c := range cases {
		if got := RuneScript(c.r); got != c.want {
			t.Errorf("RuneScript(%q) = %v, want %v", c.r, got, c.want)
		}
	}
}

func TestDetectLang(t *testing.T) {
	cases := []struct {
		name, text string
		want       Lang
	}{
		{"english", "The quick brown fox jumps over the lazy dog.", LangEN},
		{"chinese", "盖闻天地之数，有十二万九千六百岁为一元。", LangZH},
		{"chinese with english terms", "我们使用 PyTorch 和 CUDA 训练了一个大模型，效果很好。", LangZH},
		{"english with a chinese name", "The novel Journey to the West (西游记) was written in the 16th century.", LangEN},
		{"japanese", "これは日本語の文章です。", LangOther},
		{"korean", "이것은 한국어 문장입니다", LangOther},
		{"russian", "Это русский текст", LangOther},
		{"digits only", "123 456 !!!", LangOther},
		{"empty", "", LangOther},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := DetectLang(c.text); got != c.want {
				t.Errorf("DetectLang(%q) = %v, want %v", c.text, got, c.want)
			}
		})
	}
}

func TestTokenizer(t *testing.T) {
	cases := []struct {
		name, text string
		want       string // tokens joined by |, punctuation prefixed with ~
	}{
		{"english", "Don't stop, it's well-known: 3.14 and 1,000!", "Don't|stop|~,|it's|well-known|~:|3.14|and|1,000|~!"},
		{"chinese", "孙悟空，大闹天宫。", "孙|悟|空|~，|大|闹|天|宫|~。"},
		{"mixed", "用GPT-2训练", "用|GPT-2|训|练"},
		{"trailing joiner", "end- 'quote' x.", "end|~-|~'|quote|~'|x|~."},
		{"symbols", "### ... …", "~###|~...|~…"},
		{"accents", "café naïve", "café|naïve"},
		{"invalid utf8", "a\xffb", "a|~\xff|b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			tk := NewTokenizer(c.text)
			for {
				tok, ok := tk.Next()
				if !ok {
					break
				}
				s := tok.Text(c.text)
				if tok.Kind == Punct {
					s = "~" + s
				}
				got = append(got, s)
			}
			if g := strings.Join(got, "|"); g != c.want {
				t.Errorf("tokens = %q, want %q", g, c.want)
			}
		})
	}
}

func TestTokenFields(t *testing.T) {
	tk := NewTokenizer("naïve 2024 中")
	want := []Token{{0, 6, Word, 5, true}, {7, 11, Word, 4, false}, {12, 15, CJK, 1, true}}
	for i, w := range want {
		got, ok := tk.Next()
		if !ok || got != w {
			t.Fatalf("token %d = %+v, want %+v", i, got, w)
		}
	}
	if _, ok := tk.Next(); ok {
		t.Fatal("expected end")
	}
}

func TestStopWords(t *testing.T) {
	cases := []struct {
		l    Lang
		w    string
		want bool
	}{
		{LangEN, "the", true}, {LangEN, "The", true}, {LangEN, "WITH", true}, {LangEN, "then", false},
		{LangEN, "a", false}, {LangZH, "的", true}, {LangZH, "之", true}, {LangZH, "猴", false},
		{LangZH, "的的", false}, {LangOther, "the", false},
	}
	for _, c := range cases {
		if got := IsStopWord(c.l, c.w); got != c.want {
			t.Errorf("IsStopWord(%v, %q) = %v", c.l, c.w, got)
		}
	}
	for _, l := range []Lang{LangEN, LangZH} {
		for _, w := range StopWords(l) {
			if !IsStopWord(l, w) {
				t.Errorf("%v: listed stop word %q not recognised", l, w)
			}
		}
	}
}

func TestNoAllocs(t *testing.T) {
	s := strings.Repeat("The monkey king 孙悟空 said: don't go! ", 20)
	allocs := testing.AllocsPerRun(20, func() {
		n := 0
		tk := NewTokenizer(s)
		for {
			tok, ok := tk.Next()
			if !ok {
				break
			}
			if IsStopWord(LangEN, tok.Text(s)) || IsStopWord(LangZH, tok.Text(s)) {
				n++
			}
		}
		_ = DetectLang(s)
	})
	if allocs != 0 {
		t.Fatalf("allocs per run = %v, want 0", allocs)
	}
}

func FuzzTokenizer(f *testing.F) {
	for _, s := range []string{"", "Don't stop", "孙悟空，大闹天宫。", "a\xffb-", "1,2.3'x", "\u0301a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tk := NewTokenizer(s)
		prev := 0
		for {
			tok, ok := tk.Next()
			if !ok {
				break
			}
			if tok.Start < prev || tok.End <= tok.Start || tok.End > len(s) || tok.Runes <= 0 {
				t.Fatalf("bad token %+v in %q", tok, s)
			}
			prev = tok.End
		}
		_ = DetectLang(s)
		end := 0
		Segments(s, func(seg Segment) bool {
			if seg.Start != end || seg.End <= seg.Start {
				t.Fatalf("segment %+v after %d in %q", seg, end, s)
			}
			end = seg.End
			return true
		})
		if end != len(s) {
			t.Fatalf("segments cover %d of %d bytes", end, len(s))
		}
	})
}

func BenchmarkTokenizer(b *testing.B) {
	s := strings.Repeat("The monkey king said: don't go, it's well-known! 孙悟空大闹天宫。", 200)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		tk := NewTokenizer(s)
		for {
			if _, ok := tk.Next(); !ok {
				break
			}
		}
	}
}

func TestSegments(t *testing.T) {
	cases := []struct{ in, want string }{
		{"用GPT-2训练，很好。", "C:用|S:GPT-2|C:训练，很好。"},
		{"Hello 世界!", "S:Hello |C:世界!"},
		{"  中文 and English", "C:  中文 |S:and English"},
		{"123", "S:123"},
		{"", ""},
		{"これはペンです", "C:これはペンです"},
	}
	for _, c := range cases {
		var parts []string
		Segments(c.in, func(s Segment) bool {
			p := "S:"
			if s.CJK {
				p = "C:"
			}
			parts = append(parts, p+c.in[s.Start:s.End])
			return true
		})
		if got := strings.Join(parts, "|"); got != c.want {
			t.Errorf("Segments(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	n := 0
	Segments("a中b文c", func(Segment) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("early stop: %d calls", n)
	}
}
