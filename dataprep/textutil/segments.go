package textutil

import "unicode/utf8"

// Segment is a maximal run of text in one writing mode: CJK (Han and kana,
// written without spaces; punctuation and spaces inside the run belong to
// it) or spaced (everything else).
type Segment struct {
	Start, End int  // byte offsets
	CJK        bool // Han or kana run
}

// Segments splits s into alternating CJK and spaced segments and calls fn
// for each in order until fn returns false. Neutral runes (digits,
// punctuation, spaces) join the segment before them, so "用GPT-2训练，很好。"
// gives CJK "用", spaced "GPT-2", CJK "训练，很好。".
func Segments(s string, fn func(Segment) bool) {
	start, cur, started := 0, false, false
	for i := 0; i < len(s); {
		b := s[i]
		var cjk, neutral bool
		n := 1
		if b < utf8.RuneSelf {
			neutral = asciiScript[b] == ScriptNone
		} else {
			var r rune
			r, n = utf8.DecodeRuneInString(s[i:])
			sc := RuneScript(r)
			cjk = sc == ScriptHan || sc == ScriptKana
			neutral = sc == ScriptNone
		}
		switch {
		case !started:
			if !neutral {
				cur, started = cjk, true
			}
		case !neutral && cjk != cur:
			if !fn(Segment{start, i, cur}) {
				return
			}
			start, cur = i, cjk
		}
		i += n
	}
	if len(s) > start {
		fn(Segment{start, len(s), cur})
	}
}
