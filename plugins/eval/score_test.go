package eval

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestExtract(t *testing.T) {
	gsm, err := NewExtractor(GSM8KAnswer)
	if err != nil {
		t.Fatal(err)
	}
	whole, _ := NewExtractor("")
	custom, _ := NewExtractor(`answer is (\w+)`)
	for _, tc := range []struct {
		name string
		ex   *Extractor
		in   string
		want string
	}{
		{"gsm8k reference", gsm, "She makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18", "18"},
		{"thousands separator", gsm, "so 80,000+50,000\n#### 70,000", "70000"},
		{"negative", gsm, "#### -3", "-3"},
		{"decimal zeros", gsm, "#### 12.50", "12.5"},
		{"trailing period", gsm, "#### 7.", "7"},
		{"first of several", gsm, "#### 5\n\n#### 6", "5"},
		{"no marker: whole text", gsm, "  18 ", "18"},
		{"no marker: words kept", gsm, "eighteen eggs", "eighteen eggs"},
		{"empty regex", whole, " 1,000 ", "1000"},
		{"no group: whole match", mustExtractor(t, `\d+ eggs`), "she has 16 eggs", "16 eggs"},
		{"custom group", custom, "so the answer is Paris.", "Paris"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.ex.Extract(tc.in); got != tc.want {
				t.Errorf("Extract(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func mustExtractor(t *testing.T, re string) *Extractor {
	e, err := NewExtractor(re)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestNormalizeAnswer(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1,000", "1000"}, {"1000", "1000"}, {"$5", "5"}, {"-0", "0"}, {"3.0", "3"},
		{"0.25", "0.25"}, {" 42\n", "42"}, {"1e3", "1e3"}, {"NaN", "NaN"}, {"Inf", "Inf"},
		{"0x10", "0x10"}, {"", ""}, {"A", "A"}, {"1,2,3", "123"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := NormalizeAnswer(tc.in); got != tc.want {
				t.Errorf("NormalizeAnswer(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestContains(t *testing.T) {
	for _, tc := range []struct {
		gen, ans string
		want     bool
	}{
		{"so she makes 18 dollars", "18", true},
		{"so she makes 17 dollars", "18", false},
		{"anything", "", false},
	} {
		t.Run(tc.gen+"/"+tc.ans, func(t *testing.T) {
			if got := Contains(tc.gen, tc.ans); got != tc.want {
				t.Errorf("Contains(%q, %q) = %v", tc.gen, tc.ans, got)
			}
		})
	}
}

// TestWilson checks the interval against values computed by hand from
// Wilson's formula with z = 1.96.
func TestWilson(t *testing.T) {
	for _, tc := range []struct {
		hits, n int
		lo, hi  float64
	}{
		{0, 10, 0, 0.2775},
		{10, 10, 0.7225, 1},
		{5, 10, 0.2366, 0.7634},
		{81, 100, 0.7222, 0.8749},
		{0, 0, 0, 1},
	} {
		lo, hi := Wilson(tc.hits, tc.n)
		if math.Abs(lo-tc.lo) > 1e-4 || math.Abs(hi-tc.hi) > 1e-4 {
			t.Errorf("Wilson(%d, %d) = [%.4f, %.4f], want [%.4f, %.4f]", tc.hits, tc.n, lo, hi, tc.lo, tc.hi)
		}
	}
}

func TestTemplate(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		fields    map[string]string
		want      string
		err       string
	}{
		{"fields", "Question: {question}\nAnswer:", map[string]string{"question": "2+2?"}, "Question: 2+2?\nAnswer:", ""},
		{"literal braces", "{{x}} = {x}", map[string]string{"x": "1"}, "{x} = 1", ""},
		{"space in braces", "{ x }", map[string]string{"x": "1"}, "1", ""},
		{"missing field", "Q: {question}", map[string]string{"text": "2+2?"}, "", `template field "question" has no value`},
		{"unclosed", "Q: {question", nil, "", "{ at byte 3 is not closed"},
		{"stray close", "Q: }", nil, "", "stray } at byte 3"},
		{"empty", "Q: {}", nil, "", "empty placeholder"},
		{"nested", "{a{b}}", nil, "", "{ at byte 0 is not closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm, err := ParseTemplate(tc.src)
			var got string
			if err == nil {
				got, err = tm.Render(tc.fields)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestParseLabel(t *testing.T) {
	choices := []string{"mat", "log", "hat"}
	for _, tc := range []struct {
		in   string
		want int
		err  string
	}{
		{"0", 0, ""}, {"2", 2, ""}, {"log", 1, ""}, {"C", 2, ""},
		{"3", 0, "outside the 3 choices"}, {"D", 0, "neither an index"}, {"cat", 0, "neither an index"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseLabel(tc.in, choices)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %d, %v; want %d", got, err, tc.want)
			}
		})
	}
	for _, tc := range []struct{ in, err string }{
		{`["a", 2, 3.5]`, ""}, {`"a"`, "JSON array"}, {`["a"]`, "two or more"}, {`["a", {"b": 1}]`, "choice 1"},
	} {
		t.Run("choices "+tc.in, func(t *testing.T) {
			_, err := parseChoices(tc.in)
			if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("parseChoices(%s) err = %v, want %q", tc.in, err, tc.err)
			}
		})
	}
}

func TestStopAt(t *testing.T) {
	for _, tc := range []struct {
		s     string
		stops []string
		want  int
	}{
		{"#### 4\n\nQ: next", []string{"\n\n"}, 6},
		{"a Question: b\n\nc", []string{"\n\n", "Question:"}, 2},
		{"no stop here", []string{"\n\n", ""}, -1},
		{"anything", nil, -1},
	} {
		if got := stopAt(tc.s, tc.stops); got != tc.want {
			t.Errorf("stopAt(%q, %q) = %d, want %d", tc.s, tc.stops, got, tc.want)
		}
	}
}

// TestValidatePrompting: bad prompting settings are diagnostics on the
// attribute at plan time.
func TestValidatePrompting(t *testing.T) {
	for _, tc := range []struct {
		name, attr string
		val        cty.Value
		summary    string
	}{
		{"template", "template", cty.StringVal("Q: {question"), "Invalid prompt template"},
		{"regex", "answer_regex", cty.StringVal("#### ("), "Invalid regular expression"},
		{"scorer", "scorers", cty.ListVal([]cty.Value{cty.StringVal("exact")}), "Unknown scorer"},
		{"shots", "shots", cty.NumberIntVal(-1), "Value must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			diags := (Stage{}).Validate(context.Background(), cty.ObjectVal(map[string]cty.Value{tc.attr: tc.val}))
			if len(diags) != 1 || diags[0].Summary != tc.summary || diags[0].Attribute != tc.attr {
				t.Fatalf("diagnostics %+v, want one %q on %s", diags, tc.summary, tc.attr)
			}
		})
	}
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"Q: {question}\nA:", "{{x}}", "{", "}", "{a{b}}", "{ }"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tm, err := ParseTemplate(src)
		if err != nil {
			return
		}
		fields := map[string]string{}
		for _, n := range tm.Fields() {
			fields[n] = "v"
		}
		if _, err := tm.Render(fields); err != nil {
			t.Fatalf("render with every field: %v", err)
		}
	})
}

func FuzzChoices(f *testing.F) {
	f.Add(`["a", 2, 3.5]`, "1")
	f.Add(`["x", "y"]`, `"y"`)
	f.Fuzz(func(t *testing.T, raw, label string) {
		choices, err := parseChoices(raw)
		if err != nil {
			return
		}
		if i, err := parseLabel(label, choices); err == nil && (i < 0 || i >= len(choices)) {
			t.Fatalf("label %q -> %d outside %d choices", label, i, len(choices))
		}
	})
}

// TestFitPrompt: a long prompt keeps its newest tokens, leaving room for
// max_new_tokens but never less than half the context.
func TestFitPrompt(t *testing.T) {
	ids := make([]int32, 200)
	for i := range ids {
		ids[i] = int32(i)
	}
	for _, tc := range []struct {
		name         string
		n, P, maxNew int
		keep         int
		wantCut      bool
	}{
		{"fits", 50, 128, 64, 50, false},
		{"room for new tokens", 100, 128, 64, 64, true},
		{"max_new_tokens past the context", 200, 128, 256, 64, true},
		{"exactly fits", 64, 128, 64, 64, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, cut := fitPrompt(ids[:tc.n], tc.P, tc.maxNew)
			if len(got) != tc.keep || cut != tc.wantCut || got[len(got)-1] != int32(tc.n-1) {
				t.Errorf("kept %d (cut %v), want the last %d (cut %v)", len(got), cut, tc.keep, tc.wantCut)
			}
		})
	}
}

// TestMeanInterval: the interval is mean ± t·s/√n with Student's quantile,
// here checked against values computed by scipy.stats.t.ppf(0.975, df).
func TestMeanInterval(t *testing.T) {
	for df, want := range map[int]float64{1: 12.7062047, 4: 2.7764451, 10: 2.2281389, 11: 2.2009852, 20: 2.0859634, 60: 2.0002978, 299: 1.9679296} {
		if got := t975(df); math.Abs(got-want) > 2e-4 {
			t.Errorf("t975(%d) = %.6f, want %.6f", df, got, want)
		}
	}
	mean, std, lo, hi := MeanInterval([]float64{1, 2, 3, 4, 5})
	h := 2.7764451 * math.Sqrt(2.5) / math.Sqrt(5)
	if mean != 3 || math.Abs(std-math.Sqrt(2.5)) > 1e-12 || math.Abs(lo-(3-h)) > 1e-5 || math.Abs(hi-(3+h)) > 1e-5 {
		t.Errorf("MeanInterval = %g, %g, [%g, %g]", mean, std, lo, hi)
	}
	if m, s, lo, hi := MeanInterval([]float64{7}); m != 7 || s != 0 || !math.IsInf(lo, -1) || !math.IsInf(hi, 1) {
		t.Errorf("one value: %g, %g, [%g, %g]", m, s, lo, hi)
	}
}
