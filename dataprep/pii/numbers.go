package pii

// maxGroups bounds the digit groups read at one position.
const maxGroups = 8

// groups is a run of digit groups joined by single separators, such as
// "4111 1111 1111 1111" or "555-123-4567".
type groups struct {
	n          int
	start, end [maxGroups]int
	sep        [maxGroups]byte // sep[k] joins group k to group k+1
}

func (g *groups) size(k int) int { return g.end[k] - g.start[k] }

// sizes reports whether the first len(want) groups have exactly those sizes.
func (g *groups) sizes(want ...int) bool {
	if g.n < len(want) {
		return false
	}
	for k, w := range want {
		if g.size(k) != w {
			return false
		}
	}
	return true
}

// sameSep reports whether groups 0..k are joined by one separator from set.
func (g *groups) sameSep(k int, set string) bool {
	if k == 0 {
		return true
	}
	s := g.sep[0]
	ok := false
	for i := 0; i < len(set); i++ {
		ok = ok || set[i] == s
	}
	for j := 1; j < k; j++ {
		ok = ok && g.sep[j] == s
	}
	return ok
}

// readGroups reads digit groups from i, joined by one of " -.".
func readGroups(s string, i int, g *groups) {
	g.n = 0
	for g.n < maxGroups {
		j := i
		for j < len(s) && isDigit(s[j]) && j-i < 20 {
			j++
		}
		if j == i {
			break
		}
		g.start[g.n], g.end[g.n] = i, j
		g.n++
		if j+1 < len(s) && (s[j] == ' ' || s[j] == '-' || s[j] == '.') && isDigit(s[j+1]) {
			g.sep[g.n-1] = s[j]
			i = j + 1
			continue
		}
		break
	}
}

// collect appends the digits of groups 0..k-1 to dst.
func (g *groups) collect(s string, k int, dst []byte) []byte {
	for j := 0; j < k; j++ {
		dst = append(dst, s[g.start[j]:g.end[j]]...)
	}
	return dst
}

// digits handles a candidate that starts with a digit.
func (sc *scanner) digits(i int) int {
	s := sc.s
	if !leftOK(s, i) {
		return skipWord(s, i)
	}
	var g groups
	readGroups(s, i, &g)
	var buf [24]byte
	if end := sc.contiguous(i, &g, buf[:0]); end > 0 {
		return end
	}
	if g.n > 1 {
		if end := sc.grouped(i, &g, buf[:0]); end > 0 {
			return end
		}
		// "3537 3692 0071 3278 18" is no card, and neither is its tail:
		// after a card-like run (a group of four, then at least three more
		// groups with the same separator) skip the whole run.
		if g.size(0) == 4 {
			k := 1
			for k < g.n-1 && g.sep[k] == g.sep[0] {
				k++
			}
			if k >= 3 {
				return g.end[k]
			}
		}
	}
	return skipWord(s, i)
}

// contiguous tries the first group alone (no separators inside).
func (sc *scanner) contiguous(i int, g *groups, buf []byte) int {
	s := sc.s
	e := g.end[0]
	n := e - i
	// Chinese text runs on without a space, so after a Chinese label the
	// number's own length marks its end even when letters or digits follow
	// ("身份证号码：<id>abc", "手机：<mobile>abc").
	// Resident identity numbers: 17 digits and a check digit or X.
	if n >= 17 && i+18 <= len(s) {
		end := i + 18
		cnLabel := cnLabelBefore(s, i, cnIDLabels)
		if id := s[i:end]; (n <= 18 || cnLabel) && cnIDShape(id) && (n >= 18 || id[17] == 'X' || id[17] == 'x') {
			if sc.on[CNID] && cnIDValid(id) && (cnLabel || rightOK(s, end)) {
				sc.emit(i, end, CNID)
				return end
			}
			// A wrong check digit is still an identity-number shape and
			// never a card.
			if n <= 18 {
				return 0
			}
		}
	}
	if sc.on[Phone] && n >= 11 && (n > 11 || !rightOK(s, e)) && s[i] == '1' && s[i+1] >= '3' && cnLabelBefore(s, i, cnPhoneLabels) {
		sc.emit(i, i+11, Phone)
		return i + 11
	}
	if !rightOK(s, e) {
		return 0
	}
	labelled := false
	if n >= 9 {
		labelled = labelledNumber(s, i)
	}
	switch {
	case n >= 13 && n <= 19:
		// A bare 18-digit run is far more often an identity or account
		// number than a card: only JCB (35) and UnionPay (62) issue those.
		if sc.on[CreditCard] && !labelled && (n != 18 || s[i:i+2] == "35" || s[i:i+2] == "62") && cardNumber(append(buf, s[i:e]...)) {
			sc.emit(i, e, CreditCard)
			return e
		}
	case n == 11:
		if sc.on[Phone] && !labelled && s[i] == '1' && s[i+1] >= '3' {
			sc.emit(i, e, Phone)
			return e
		}
	case n == 10:
		if sc.on[Phone] && !labelled && phoneContext(s, i) {
			end := phoneExt(s, e)
			sc.emit(i, end, Phone)
			return end
		}
	case n == 9:
		if sc.on[USSSN] && ssnContext(s, i) && ssnValid(atoi(s[i:i+3]), atoi(s[i+3:i+5]), atoi(s[i+5:e])) {
			sc.emit(i, e, USSSN)
			return e
		}
	}
	return 0
}

// grouped tries the formats written with separators, longest first.
func (sc *scanner) grouped(i int, g *groups, buf []byte) int {
	s := sc.s
	try := func(k int, e Entity, ext bool) int {
		// A prefix of a longer run with the same separator is not a match:
		// "4111 1111 1111 1111 9" is no 16-digit card.
		if g.n > k && g.sep[k-1] == g.sep[k-2] {
			return 0
		}
		end := g.end[k-1]
		if ext {
			if x := phoneExt(s, end); x > end {
				sc.emit(i, x, e)
				return x
			}
		}
		if !rightOK(s, end) {
			return 0
		}
		sc.emit(i, end, e)
		return end
	}
	// Cards: 4-4-4-4 with an optional short tail (13-19 digits), Amex
	// 4-6-5 and Diners 4-6-4, with one separator throughout.
	if sc.on[CreditCard] && g.size(0) == 4 {
		for _, k := range [...]int{5, 4, 3} {
			if g.n < k || !g.sameSep(k-1, " -") {
				continue
			}
			var ok bool
			switch k {
			case 5:
				ok = g.sizes(4, 4, 4, 4) && g.size(4) <= 3
			case 4:
				ok = g.sizes(4, 4, 4)
			case 3:
				ok = g.sizes(4, 6) && (g.size(2) == 5 || g.size(2) == 4)
			}
			if ok && cardNumber(g.collect(s, k, buf)) {
				if end := try(k, CreditCard, false); end > 0 {
					return end
				}
			}
		}
	}
	if sc.on[Phone] {
		// North American: 1-555-123-4567, 555-123-4567, 555.123.4567.
		if g.sizes(1, 3, 3, 4) && s[i] == '1' && g.sameSep(3, " -.") {
			if end := try(4, Phone, true); end > 0 {
				return end
			}
		}
		// 001-555-123-4567: the international call prefix from the US.
		if g.sizes(3, 3, 3, 4) && s[i:i+3] == "001" && g.sameSep(3, " -.") {
			if end := try(4, Phone, true); end > 0 {
				return end
			}
		}
		if g.sizes(3, 3, 4) && g.sameSep(2, " -.") {
			if end := try(3, Phone, true); end > 0 {
				return end
			}
		}
		// A seven-digit local number after a phone word: "call 262-3773".
		if g.sizes(3, 4) && g.sep[0] == '-' && s[i] >= '2' && phoneContext(s, i) {
			if end := try(2, Phone, true); end > 0 {
				return end
			}
		}
		// Chinese landline: 010-62345678, 0755-1234567.
		if (g.sizes(3, 8) || g.sizes(4, 7) || g.sizes(4, 8)) && s[i] == '0' && s[i+1] != '0' && (g.sep[0] == '-' || g.sep[0] == ' ') {
			if end := try(2, Phone, false); end > 0 {
				return end
			}
		}
		// Chinese mobile: 138 1234 5678, 138-1234-5678.
		if g.sizes(3, 4, 4) && s[i] == '1' && s[i+1] >= '3' && g.sameSep(2, " -") {
			if end := try(3, Phone, false); end > 0 {
				return end
			}
		}
	}
	if sc.on[USSSN] && g.sizes(3, 2, 4) && g.sameSep(2, " -") &&
		ssnValid(atoi(s[i:i+3]), atoi(s[g.start[1]:g.end[1]]), atoi(s[g.start[2]:g.end[2]])) {
		if end := try(3, USSSN, false); end > 0 {
			return end
		}
	}
	if sc.on[IPAddress] && g.n >= 4 && g.sameSep(3, ".") && (g.n == 4 || g.sep[3] != '.') && !versionContext(s, i) {
		ok := true
		for k := 0; k < 4; k++ {
			ok = ok && octet(s[g.start[k]:g.end[k]])
		}
		// A port or prefix length may follow: 192.168.1.20:8080, 10.0.0.0/8.
		if end := g.end[3]; ok && (rightOK(s, end) || (s[end] == ':' || s[end] == '/') && end+1 < len(s) && isDigit(s[end+1])) {
			sc.emit(i, end, IPAddress)
			return end
		}
	}
	return 0
}

// octet reports whether d is a decimal 0..255 without leading zeros.
func octet(d string) bool {
	switch len(d) {
	case 1:
		return true
	case 2:
		return d[0] != '0'
	case 3:
		return d[0] != '0' && atoi(d) <= 255
	}
	return false
}

// phoneExt extends a phone number ending at e over an extension such as
// "x123", " x123", " ext. 123" or " ext 123".
func phoneExt(s string, e int) int {
	j := e
	if j < len(s) && s[j] == ' ' {
		j++
	}
	switch {
	case j < len(s) && s[j] == 'x':
		j++
	case j+3 <= len(s) && s[j:j+3] == "ext":
		j += 3
		if j < len(s) && s[j] == '.' {
			j++
		}
		if j < len(s) && s[j] == ' ' {
			j++
		}
	default:
		return e
	}
	k := j
	for k < len(s) && isDigit(s[k]) && k-j < 6 {
		k++
	}
	if k == j || (k < len(s) && wordChar(s[k])) {
		return e
	}
	return k
}

// plus handles "+CC ..." international numbers (E.164 with separators).
func (sc *scanner) plus(i int) int {
	s := sc.s
	if !sc.on[Phone] || i+1 >= len(s) || !isDigit(s[i+1]) || s[i+1] == '0' {
		return i + 1
	}
	if i > 0 && (wordChar(s[i-1]) || s[i-1] == '+') {
		return i + 1
	}
	return sc.intl(i, i+1)
}

// intl reads the digits of an international number from j (just after the
// country-code plus sign at start): groups joined by one of " -." and at most
// one "(0)" or "(area)" group, 8 to 15 digits in all.
func (sc *scanner) intl(start, j int) int {
	s := sc.s
	digits, end := 0, j
	paren := false
	for j < len(s) && digits <= 15 {
		switch c := s[j]; {
		case isDigit(c):
			digits++
			j++
			end = j
			continue
		case (c == ' ' || c == '-' || c == '.') && j+1 < len(s) && (isDigit(s[j+1]) || s[j+1] == '('):
			j++
			continue
		case c == '(' && !paren:
			k := j + 1
			for k < len(s) && isDigit(s[k]) && k-j <= 5 {
				k++
			}
			if k < len(s) && s[k] == ')' && k > j+1 {
				paren = true
				digits += k - j - 1
				j = k + 1
				end = j
				if j < len(s) && s[j] == ' ' {
					j++
				}
				continue
			}
		}
		break
	}
	if digits < 8 || digits > 15 || !rightOK(s, end) {
		return skipWord(s, start+1)
	}
	end = phoneExt(s, end)
	sc.emit(start, end, Phone)
	return end
}

// paren handles "(555) 123-4567", "(555)123-4567" and "(+86) 138 ...".
func (sc *scanner) paren(i int) int {
	s := sc.s
	if !sc.on[Phone] || i+1 >= len(s) || (i > 0 && wordChar(s[i-1])) {
		return i + 1
	}
	if s[i+1] == '+' {
		k := i + 2
		for k < len(s) && isDigit(s[k]) && k-i < 6 {
			k++
		}
		if k > i+2 && k < len(s) && s[k] == ')' && s[i+2] != '0' {
			j := k + 1
			for j < len(s) && (s[j] == ' ' || s[j] == '-') && j-k < 3 {
				j++
			}
			return sc.intl(i, j)
		}
		return i + 1
	}
	if i+5 > len(s) || s[i+4] != ')' || !isDigit(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) {
		return i + 1
	}
	j := i + 5
	if j < len(s) && (s[j] == ' ' || s[j] == '-') {
		j++
	}
	var g groups
	readGroups(s, j, &g)
	if !g.sizes(3, 4) || !(g.sep[0] == '-' || g.sep[0] == ' ' || g.sep[0] == '.') || !rightOK(s, g.end[1]) {
		return i + 1
	}
	start := i
	// A leading trunk prefix "1 " or "+1 " belongs to the number.
	if start >= 2 && s[start-2:start] == "1 " && sc.lastEnd <= start-2 {
		start -= 2
		if start >= 1 && s[start-1] == '+' && sc.lastEnd <= start-1 {
			start--
		}
		if !leftOK(s, start) {
			start = i
		}
	}
	end := phoneExt(s, g.end[1])
	sc.emit(start, end, Phone)
	return end
}
