package clean

import (
	"strings"
	"testing"
)

func TestHashSpanMatchesHashString(t *testing.T) {
	s := "a bb ccc dddd eeeee ffffff ggggggg hhhhhhhh iiiiiiiii 中文字 end"
	for i := 0; i < len(s); i++ {
		for j := i + 1; j <= len(s) && j <= i+20; j++ {
			if hashSpan(s, i, j) != hashString(s[i:j]) {
				t.Fatalf("hashSpan(%d, %d) differs for %q", i, j, s[i:j])
			}
		}
	}
	if hashString("ab") == hashString("ba") || hashString(strings.Repeat("x", 9)) == hashString(strings.Repeat("x", 10)) {
		t.Fatal("trivial collision")
	}
}
