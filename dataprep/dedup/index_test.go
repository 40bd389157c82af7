package dedup

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/llmflow/llmflow/dataprep/stream"
)

const para = "The quick brown fox jumps over the lazy dog while the farmer watches from the porch " +
	"and thinks about the long winter that is coming to the valley this year with snow and ice " +
	"covering the fields where the cattle used to graze during the warm summer months of the past"

const zhPara = "话说天下大势分久必合合久必分周末七国分争并入于秦及秦灭之后楚汉分争又并入于汉汉朝自高祖斩白蛇而起义一统天下后来光武中兴传至献帝遂分为三国"

func TestIndexDecisions(t *testing.T) {
	tests := []struct {
		name string
		docs []string
		want []Decision // Dup, Kind, Of only
	}{
		{"distinct", []string{para, zhPara}, []Decision{{Of: -1}, {Of: -1}}},
		{"exact up to case and spacing", []string{para, "  " + strings.ToUpper(para) + "!!"},
			[]Decision{{Of: -1}, {Dup: true, Kind: KindExact, Of: 0}}},
		{"near english", []string{zhPara, para, strings.Replace(para, "lazy", "sleepy", 1)},
			[]Decision{{Of: -1}, {Of: -1}, {Dup: true, Kind: KindNear, Of: 1}}},
		{"near chinese", []string{zhPara, strings.Replace(zhPara, "光武", "光明", 1)},
			[]Decision{{Of: -1}, {Dup: true, Kind: KindNear, Of: 0}}},
		{"empty and punctuation only", []string{"", "...", "", "..."},
			[]Decision{{Of: -1}, {Of: -1}, {Dup: true, Kind: KindExact, Of: 0}, {Dup: true, Kind: KindExact, Of: 1}}},
		{"first kept", []string{para + " one", para + " two", para + " one"},
			[]Decision{{Of: -1}, {Dup: true, Kind: KindNear, Of: 0}, {Dup: true, Kind: KindExact, Of: 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix, err := NewIndex(DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range tc.docs {
				got := ix.Add(d)
				w := tc.want[i]
				if got.Dup != w.Dup || got.Kind != w.Kind || got.Of != w.Of {
					t.Errorf("doc %d: got %+v, want %+v", i, got, w)
				}
			}
		})
	}
}

func TestIndexAgainst(t *testing.T) {
	ix, _ := NewIndex(DefaultConfig())
	ix.AddReference(zhPara)
	ix.AddReference(para)
	d0 := ix.Add(strings.Replace(para, "fox", "cat", 1))
	d1 := ix.Add(zhPara)
	d2 := ix.Add("an unrelated document about rockets and the moon landing program of the sixties")
	if !d0.Dup || !d0.Against || d0.Kind != KindNear || d0.Of != 1 {
		t.Errorf("near contamination: %+v", d0)
	}
	if !d1.Dup || !d1.Against || d1.Kind != KindExact || d1.Of != 0 {
		t.Errorf("exact contamination: %+v", d1)
	}
	if d2.Dup {
		t.Errorf("unrelated document removed: %+v", d2)
	}
	st := ix.Stats()
	if st.AgainstNear != 1 || st.AgainstExact != 1 || st.References != 2 || st.ContaminatedReferences != 2 || st.Kept != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestExactMethod(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Method = MethodExact
	ix, err := NewIndex(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ix.Add(para)
	if d := ix.Add(strings.Replace(para, "lazy", "sleepy", 1)); d.Dup {
		t.Errorf("exact method removed a near duplicate: %+v", d)
	}
	if d := ix.Add(para); !d.Dup || d.Kind != KindExact {
		t.Errorf("exact copy kept: %+v", d)
	}
}

func TestValidate(t *testing.T) {
	bad := map[string]func(*Config){
		"method":       func(c *Config) { c.Method = "simhash" },
		"field":        func(c *Config) { c.Field = "" },
		"shingle_size": func(c *Config) { c.ShingleSize = 0 },
		"permutations": func(c *Config) { c.Permutations = 10 },
		"threshold":    func(c *Config) { c.Threshold = 1.5 },
	}
	for name, mut := range bad {
		c := DefaultConfig()
		mut(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestDeterministicAcrossWorkers checks decisions do not depend on workers.
func TestDeterministicAcrossWorkers(t *testing.T) {
	var texts []string
	for i := range 200 {
		w := strings.Fields(para)
		w[i%len(w)] = "edit"
		if i%3 == 0 {
			w = append(w, strings.Repeat("x", i))
		}
		texts = append(texts, strings.Join(w, " "))
	}
	run := func(workers int) []Decision {
		ix, _ := NewIndex(DefaultConfig())
		sigs := make([]Signature, len(texts))
		ix.SignAll(texts, sigs, workers)
		out := make([]Decision, len(texts))
		for i := range sigs {
			out[i] = ix.AddSignature(&sigs[i])
		}
		return out
	}
	a, b := run(1), run(4)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("doc %d: %+v with 1 worker, %+v with 4", i, a[i], b[i])
		}
	}
}

func TestTokenize(t *testing.T) {
	toks, unsp := tokenize("Hello, WORLD! 你好 café", nil)
	want, _ := tokenize("hello world 你 好 CAFÉ", nil)
	if len(toks) != 5 || unsp != 2 {
		t.Fatalf("got %d tokens, %d unspaced", len(toks), unsp)
	}
	for i := range want {
		if toks[i] != want[i] {
			t.Errorf("token %d differs", i)
		}
	}
}

func FuzzDedupShingles(f *testing.F) {
	for _, s := range []string{"", para, zhPara, "a", "\xff\xfe", "ÀÉÎ ǅ ﬁ", "ไทย ภาษา", strings.Repeat("ab ", 50)} {
		f.Add(s, uint8(3))
	}
	cfg := DefaultConfig()
	cfg.Permutations, cfg.Bands, cfg.Rows = 16, 8, 2
	ix, err := NewIndex(cfg)
	if err != nil {
		f.Fatal(err)
	}
	ccfg := cfg
	ccfg.Shingles = ShinglesChar
	cix, err := NewIndex(ccfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string, k uint8) {
		ctoks, cunsp := tokenizeChars(s, nil)
		if cunsp > len(ctoks) || len(ctoks) > 2*utf8.RuneCountInString(s) {
			t.Fatalf("char mode: %d tokens, %d unspaced for %d runes", len(ctoks), cunsp, utf8.RuneCountInString(s))
		}
		var cs Signature
		cix.Sign(s, &cs)
		if len(ctoks) > 0 && len(cs.bands) != ccfg.Bands {
			t.Fatalf("char mode: %d bands", len(cs.bands))
		}
		toks, unsp := tokenize(s, nil)
		if unsp > len(toks) || len(toks) > utf8.RuneCountInString(s) {
			t.Fatalf("%d tokens, %d unspaced for %d runes", len(toks), unsp, utf8.RuneCountInString(s))
		}
		sh := shingles(toks, int(k%8)+1, nil)
		if (len(toks) == 0) != (len(sh) == 0) || len(sh) > len(toks) {
			t.Fatalf("%d shingles for %d tokens", len(sh), len(toks))
		}
		var a, b Signature
		ix.Sign(s, &a)
		ix.Sign(s, &b)
		if a.exact != b.exact || len(a.min) != len(b.min) || (len(toks) > 0 && similarity(a.min, b.min) != 1) {
			t.Fatal("signature not deterministic")
		}
		if len(toks) > 0 && len(a.bands) != cfg.Bands {
			t.Fatalf("%d bands", len(a.bands))
		}
	})
}

func TestTable(t *testing.T) {
	tb := newTable()
	ref := map[uint64]uint32{}
	s := uint64(7)
	for i := range 20000 {
		k := splitmix(&s)
		if i%7 == 0 {
			k = uint64(i % 5) // small keys, including 0 and 1
		}
		tb.put(k, uint32(i+1))
		ref[fixKey(k)] = uint32(i + 1)
	}
	for k, v := range ref {
		if got := tb.get(k); got != v {
			t.Fatalf("key %x: got %d, want %d", k, got, v)
		}
	}
	if tb.get(12345) != 0 {
		t.Fatal("absent key found")
	}
}

func TestAddAllAndMapper(t *testing.T) {
	texts := []string{para, zhPara, strings.Replace(para, "lazy", "idle", 1), zhPara, "other text entirely here"}
	ix, _ := NewIndex(DefaultConfig())
	got := ix.AddAll(texts, 2, nil)
	m, _ := NewMapper(DefaultConfig())
	for i, tx := range texts {
		var r stream.Result
		m.Map(tx, &r)
		if r.Drop != got[i].Dup || r.Reason != got[i].Reason() {
			t.Errorf("text %d: mapper %v %q, AddAll %+v", i, r.Drop, r.Reason, got[i])
		}
	}
	want := []string{"", "", "duplicate_near", "duplicate_exact", ""}
	for i, d := range got {
		if d.Reason() != want[i] {
			t.Errorf("text %d: %q, want %q", i, d.Reason(), want[i])
		}
	}
}

// TestMinhashVectorMatchesScalar checks the AVX-512 kernels against the
// scalar loop for every block shape and odd shingle counts.
func TestMinhashVectorMatchesScalar(t *testing.T) {
	if !haveAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	s := uint64(3)
	for _, perms := range []int{8, 16, 40, 64, 112, 128, 200, 7, 1} {
		h := newHasher(perms, 1, 9)
		for _, n := range []int{1, 2, 3, 17, 500} {
			sh := make([]uint64, n)
			for i := range sh {
				sh[i] = splitmix(&s)
			}
			want := make([]uint64, perms)
			for j := range want {
				want[j] = ^uint64(0)
			}
			minhashScalar(sh, h.a, h.b, want)
			got := make([]uint64, perms)
			for j := range got {
				got[j] = ^uint64(0)
			}
			k := minhashVector(sh, h.a, h.b, got)
			minhashScalar(sh, h.a[k:], h.b[k:], got[k:])
			for j := range want {
				if got[j] != want[j] {
					t.Fatalf("perms %d, n %d, perm %d: %x, want %x", perms, n, j, got[j], want[j])
				}
			}
		}
	}
}

// TestFastSepAgrees checks the punctuation fast path against the Unicode
// tables: every rune it calls a separator is neither letter, digit nor mark.
func TestFastSepAgrees(t *testing.T) {
	for r := rune(0x2000); r <= 0xffff; r++ {
		if fastSep(r) && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) {
			t.Errorf("U+%04X is a word character", r)
		}
	}
}

func TestReserveKeepsDecisions(t *testing.T) {
	texts := []string{para, zhPara, strings.Replace(para, "lazy", "idle", 1), zhPara}
	a, _ := NewIndex(DefaultConfig())
	b, _ := NewIndex(DefaultConfig())
	b.Reserve(3)
	b.Add(texts[0])
	b.Reserve(100000)
	for i, tx := range texts {
		var da Decision
		if i == 0 {
			a.Add(tx)
			continue
		}
		da = a.Add(tx)
		if db := b.Add(tx); da != db {
			t.Errorf("text %d: %+v vs %+v", i, da, db)
		}
	}
}

// TestPathologicalInputs signs 1 MB texts of one repeated unit in bounded
// time and adds them without error.
func TestPathologicalInputs(t *testing.T) {
	ix, _ := NewIndex(DefaultConfig())
	for _, unit := range []string{"a", "a ", "中", "。", "\xff", " ", "Ǆ", "ab12 ", "\u0301"} {
		s := strings.Repeat(unit, 1<<20/len(unit))
		start := time.Now()
		ix.Add(s)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%q: %v", unit, d)
		}
	}
}
