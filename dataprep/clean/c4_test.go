package clean

import "testing"

func TestScanKeywords(t *testing.T) {
	cases := []struct {
		line              string
		lorem, js, policy bool
	}{
		{"Nothing to see here.", false, false, false},
		{"Lorem ipsum dolor sit amet.", true, false, false},
		{"LOREM IPSUM DOLOR.", true, false, false},
		{"Lorem Ipsum is filler.", true, false, false},
		{"Please enable JavaScript.", false, true, false},
		{"JAVASCRIPT required", false, true, false},
		{"jaVaScRipt anywhere", false, true, false},
		{"Read the Terms of Use.", false, false, true},
		{"Our privacy policy applies.", false, false, true},
		{"PRIVACY POLICY", false, false, true},
		{"This site uses cookies.", false, false, true},
		{"We use cookies to help.", false, false, true},
		{"The use of cookies is common.", false, false, true},
		{"See our Cookie Policy.", false, false, true},
		{"I baked cookies for the party.", false, false, false},
		{"ipsum at the start", false, false, false},
		{"ookie", false, false, false},
		{"TeRmS oF uSe", false, false, true},
		{"k v f p j K V F P J", false, false, false},
	}
	for _, c := range cases {
		l, j, p := scanKeywords(c.line)
		if l != c.lorem || j != c.js || p != c.policy {
			t.Errorf("scanKeywords(%q) = %v %v %v, want %v %v %v", c.line, l, j, p, c.lorem, c.js, c.policy)
		}
	}
}
