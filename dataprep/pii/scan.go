package pii

// Match is one value found in a text: bytes [Start, End) are of kind Entity.
type Match struct {
	Start, End int
	Entity     Entity
}

// Trigger classes: the only bytes at which the scanner stops.
const (
	tNone = iota
	tDigit
	tUpper
	tAt
	tPlus
	tParen
	tColon
	tEquals
	tUnder
	tDash
)

var trigger = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = tDigit
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = tUpper
	}
	t['@'], t['+'], t['('], t[':'], t['='], t['_'], t['-'] = tAt, tPlus, tParen, tColon, tEquals, tUnder, tDash
	return t
}()

// Character classes used by the matchers.
const (
	cDigit = 1 << iota
	cUpper
	cLower
	cHex
	cLocal  // e-mail local part
	cDomain // e-mail domain
	cB64    // PEM body
	cValue  // secret value
)

var class = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		var k uint8
		switch {
		case b >= '0' && b <= '9':
			k = cDigit | cHex
		case b >= 'A' && b <= 'Z':
			k = cUpper
		case b >= 'a' && b <= 'z':
			k = cLower
		}
		if (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F') {
			k |= cHex
		}
		if k&(cDigit|cUpper|cLower) != 0 {
			k |= cLocal | cDomain | cB64 | cValue
		}
		switch b {
		case '.', '_', '%', '+', '-', '\'':
			k |= cLocal
		}
		switch b {
		case '.', '-':
			k |= cDomain
		}
		switch b {
		case '+', '/', '=':
			k |= cB64
		}
		switch b {
		case '-', '_', '.', '/', '+', '=', '~', '!', '@', '#', '$', '%', '^', '&', '*':
			k |= cValue
		}
		t[c] = k
	}
	return t
}()

func isDigit(c byte) bool { return c-'0' < 10 }
func isAlnum(c byte) bool { return class[c]&(cDigit|cUpper|cLower) != 0 }
func lower(c byte) byte {
	if c-'A' < 26 {
		return c + 32
	}
	return c
}

// wordChar reports whether c continues an ASCII word. Bytes of multi-byte
// UTF-8 sequences never do: Chinese text around a value is a boundary.
func wordChar(c byte) bool { return isAlnum(c) || c == '_' }

// leftOK reports whether a value may start at i: not inside an ASCII word,
// and not the tail of a longer number such as 3.14159 or 2023-11-29.
func leftOK(s string, i int) bool {
	if i == 0 {
		return true
	}
	c := s[i-1]
	if wordChar(c) {
		return false
	}
	switch c {
	case '.', ',', '-', '/', ':':
		return i < 2 || !isAlnum(s[i-2])
	}
	return true
}

// rightOK reports whether a value may end at j (the same rules mirrored;
// '@' continues an e-mail local part).
func rightOK(s string, j int) bool {
	if j >= len(s) {
		return true
	}
	c := s[j]
	if wordChar(c) || c == '@' {
		return false
	}
	switch c {
	case '.', ',', '-', '/', ':':
		return j+1 >= len(s) || !isAlnum(s[j+1])
	}
	return true
}

// scanner holds the state of one Find call.
type scanner struct {
	s       string
	on      *[NumEntities]bool
	out     []Match
	lastEnd int // end of the last match; matches never overlap
	// pemEnd is 1 + the position of the next "-----END " at or after the
	// last PEM body searched, -1 when there is none, 0 before any search.
	pemEnd int
}

func (sc *scanner) emit(start, end int, e Entity) {
	sc.out = append(sc.out, Match{start, end, e})
	sc.lastEnd = end
}

// Find appends the matches in text to dst, in order and not overlapping.
// It is safe for concurrent use.
func (p *Scrubber) Find(text string, dst []Match) []Match {
	sc := scanner{s: text, on: &p.on, out: dst}
	s := text
	n := len(s)
	for i := 0; i < n; {
		// The hot loop: skip bytes that cannot start or mark a value.
		for i < n && trigger[s[i]] == tNone {
			i++
		}
		if i >= n {
			break
		}
		var end int
		switch trigger[s[i]] {
		case tDigit:
			end = sc.digits(i)
		case tUpper:
			end = sc.upper(i)
		case tAt:
			end = sc.email(i)
		case tPlus:
			end = sc.plus(i)
		case tParen:
			end = sc.paren(i)
		case tColon:
			end = sc.colon(i)
		case tEquals:
			end = sc.assignment(i)
		case tUnder:
			end = sc.github(i)
		case tDash:
			end = sc.pem(i)
		}
		if end > i {
			i = end
		} else {
			i++
		}
	}
	return sc.out
}

// skipWord returns the end of the run of ASCII letters and digits at i, so
// a failed candidate is not retried at each of its digits.
func skipWord(s string, i int) int {
	for i < len(s) && isAlnum(s[i]) {
		i++
	}
	return i
}
