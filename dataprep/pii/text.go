package pii

import "strings"

// email handles '@': it walks back over the local part (never into the
// previous match) and forward over a dotted domain ending in a letter TLD.
func (sc *scanner) email(i int) int {
	s := sc.s
	if !sc.on[Email] {
		return i + 1
	}
	st := i
	for st > sc.lastEnd && i-st < 64 && class[s[st-1]]&cLocal != 0 {
		st--
	}
	for st < i && !isAlnum(s[st]) {
		st++
	}
	if st == i || (st > 0 && wordChar(s[st-1]) && st != sc.lastEnd) {
		return i + 1
	}
	// Domain: labels of letters, digits and '-' joined by single dots.
	j, lastDot := i+1, -1
	for j < len(s) && j-i < 255 {
		c := s[j]
		if isAlnum(c) || c == '-' {
			j++
			continue
		}
		if c == '.' && j+1 < len(s) && isAlnum(s[j+1]) && s[j-1] != '.' && s[j-1] != '@' {
			lastDot = j
			j++
			continue
		}
		break
	}
	if lastDot < 0 || s[i+1] == '-' || s[j-1] == '-' {
		return i + 1
	}
	tld := s[lastDot+1 : j]
	if len(tld) < 2 || len(tld) > 24 {
		return i + 1
	}
	for k := 0; k < len(tld); k++ {
		if class[tld[k]]&(cUpper|cLower) == 0 {
			return i + 1
		}
	}
	if j < len(s) && (s[j] == '_' || s[j] == '@') {
		return i + 1
	}
	sc.emit(st, j, Email)
	return j
}

// dashPrefixes start well-known API tokens whose prefix ends in '-':
// OpenAI and Anthropic (sk-), Slack (xoxb- ...), GitLab (glpat-).
var dashPrefixes = []string{"sk", "xoxb", "xoxp", "xoxa", "xoxr", "xoxs", "glpat"}

// dashToken handles '-' ending a token prefix: at least 20 more characters
// of [A-Za-z0-9_-] make a secret.
func (sc *scanner) dashToken(i int) int {
	s := sc.s
	for _, p := range dashPrefixes {
		st := i - len(p)
		if st < sc.lastEnd || s[st:i] != p || !leftOK(s, st) {
			continue
		}
		j := i + 1
		for j < len(s) && j-i < 256 && (isAlnum(s[j]) || s[j] == '_' || s[j] == '-') {
			j++
		}
		if j-i-1 < 20 || !secretLike(s[i+1:j]) {
			return i + 1
		}
		sc.emit(st, j, Secret)
		return j
	}
	return i + 1
}

// awsPrefixes are the four-letter prefixes of AWS access key ids.
var awsPrefixes = []string{"AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "APKA", "AROA"}

// upper handles an upper-case letter: AWS access key ids and IBANs.
func (sc *scanner) upper(i int) int {
	s := sc.s
	if !leftOK(s, i) {
		return skipWord(s, i)
	}
	if sc.on[Secret] && s[i] == 'A' && i+20 <= len(s) && !wordCharAt(s, i+20) {
		for _, p := range awsPrefixes {
			if s[i:i+4] == p && upperDigits(s[i+4:i+20]) {
				sc.emit(i, i+20, Secret)
				return i + 20
			}
		}
	}
	// Google API keys: AIza and 35 more characters.
	if sc.on[Secret] && i+39 <= len(s) && s[i:i+4] == "AIza" && !wordCharAt(s, i+39) && tokenChars(s[i+4:i+39]) {
		sc.emit(i, i+39, Secret)
		return i + 39
	}
	if sc.on[IBAN] && i+4 < len(s) && class[s[i+1]]&cUpper != 0 && isDigit(s[i+2]) && isDigit(s[i+3]) {
		if end := sc.iban(i); end > 0 {
			return end
		}
	}
	return skipWord(s, i)
}

func tokenChars(s string) bool {
	for k := 0; k < len(s); k++ {
		if !isAlnum(s[k]) && s[k] != '_' && s[k] != '-' {
			return false
		}
	}
	return true
}

func wordCharAt(s string, j int) bool { return j < len(s) && wordChar(s[j]) }

func upperDigits(s string) bool {
	for k := 0; k < len(s); k++ {
		if class[s[k]]&(cUpper|cDigit) == 0 {
			return false
		}
	}
	return true
}

// iban reads an IBAN of its country's length, compact or in groups of four
// separated by single spaces, and checks mod 97.
func (sc *scanner) iban(i int) int {
	s := sc.s
	want, ok := ibanLen[s[i:i+2]]
	if !ok {
		return 0
	}
	var buf [34]byte
	b := buf[:0]
	j := i
	for j < len(s) && len(b) < want {
		c := s[j]
		switch {
		case class[c]&(cUpper|cDigit) != 0:
			b = append(b, c)
			j++
		case c == ' ' && len(b)%4 == 0 && j+1 < len(s) && class[s[j+1]]&(cUpper|cDigit) != 0:
			j++
		default:
			return 0
		}
	}
	if len(b) != want || wordCharAt(s, j) || !ibanValid(b) {
		return 0
	}
	sc.emit(i, j, IBAN)
	return j
}

// github handles '_': GitHub tokens gh[pousr]_ + 36 or more characters and
// fine-grained github_pat_ tokens.
func (sc *scanner) github(i int) int {
	s := sc.s
	if !sc.on[Secret] {
		return i + 1
	}
	st, body, minLen := -1, 0, 0
	switch {
	case i >= 3 && s[i-3] == 'g' && s[i-2] == 'h' && strings.IndexByte("pousr", s[i-1]) >= 0:
		st, body, minLen = i-3, i+1, 36
	case i >= 6 && s[i-6:i] == "github" && strings.HasPrefix(s[i:], "_pat_"):
		st, body, minLen = i-6, i+5, 22
	default:
		return i + 1
	}
	if st < sc.lastEnd || !leftOK(s, st) {
		return i + 1
	}
	j := body
	for j < len(s) && (isAlnum(s[j]) || (minLen == 22 && s[j] == '_')) && j-body < 255 {
		j++
	}
	if j-body < minLen || wordCharAt(s, j) {
		return i + 1
	}
	// Classic tokens have exactly 36 characters after the prefix; digits
	// run on past them are a number written against the token (an ISBN),
	// not part of it.
	if minLen == 36 && j-body > 36 && allDigits(s[body+36:j]) {
		j = body + 36
	}
	sc.emit(st, j, Secret)
	return j
}

func allDigits(s string) bool {
	for k := 0; k < len(s); k++ {
		if !isDigit(s[k]) {
			return false
		}
	}
	return true
}

// pem handles "-----BEGIN ... PRIVATE KEY-----": the whole block to its END
// line goes, or to the end of the base64 body when the END line is missing.
func (sc *scanner) pem(i int) int {
	s := sc.s
	const begin = "-----BEGIN "
	if !sc.on[Secret] {
		return i + 1
	}
	if !strings.HasPrefix(s[i:], begin) {
		return sc.dashToken(i)
	}
	h := i + len(begin)
	he := strings.Index(s[h:min(len(s), h+64)], "-----")
	if he < 0 || !strings.HasSuffix(s[h:h+he], "PRIVATE KEY") {
		return i + 1
	}
	body := h + he + 5
	// The next END line is searched once and remembered, so a text of
	// many headers and few or no END lines stays linear.
	if sc.pemEnd == 0 || (sc.pemEnd > 0 && sc.pemEnd-1 < body) {
		if e := strings.Index(s[body:], "-----END "); e >= 0 {
			sc.pemEnd = body + e + 1
		} else {
			sc.pemEnd = -1
		}
	}
	if sc.pemEnd > 0 {
		k := sc.pemEnd - 1 + len("-----END ")
		if t := strings.Index(s[k:min(len(s), k+64)], "-----"); t >= 0 {
			end := k + t + 5
			sc.emit(i, end, Secret)
			return end
		}
	}
	j := body
	for j < len(s) && (class[s[j]]&cB64 != 0 || s[j] == '\n' || s[j] == '\r' || s[j] == ' ' || s[j] == ':' || s[j] == ',') {
		j++
	}
	sc.emit(i, j, Secret)
	return j
}
