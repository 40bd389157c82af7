package pii

// ipv6 handles ':' as part of an IPv6 address: it backs up over the hex
// group before it and parses RFC 4291 text form (groups of 1-4 hex digits,
// at most one "::", an optional dotted IPv4 tail). Clock times, MAC
// addresses and C++ scopes fail the group count or the digit rule.
func (sc *scanner) ipv6(i int) int {
	s := sc.s
	st := i
	for st > sc.lastEnd && i-st < 4 && class[s[st-1]]&cHex != 0 {
		st--
	}
	if st == i && (i+1 >= len(s) || s[i+1] != ':') {
		return 0
	}
	if !leftOK6(s, st) {
		return 0
	}
	end, ok := parseIPv6(s, st)
	if !ok || !(rightOK(s, end) || s[end] == '/' && end+1 < len(s) && isDigit(s[end+1])) {
		return 0
	}
	sc.emit(st, end, IPAddress)
	return end
}

// leftOK6 is leftOK without the number-tail rule (':' precedes groups).
func leftOK6(s string, i int) bool {
	return i == 0 || !(wordChar(s[i-1]) || s[i-1] == ':' || s[i-1] == '.')
}

func parseIPv6(s string, j int) (end int, ok bool) {
	groups, hexDigits, decimal := 0, 0, false
	double := false
	if j+1 < len(s) && s[j] == ':' && s[j+1] == ':' {
		double = true
		j += 2
	}
	end = j
	for groups < 8 {
		k := j
		for k < len(s) && k-j < 5 && class[s[k]]&cHex != 0 {
			k++
		}
		if k == j || k-j > 4 {
			if k-j > 4 {
				return 0, false
			}
			break
		}
		// An IPv4 tail takes the place of the last two groups.
		if k+1 < len(s) && s[k] == '.' && isDigit(s[k+1]) && groups <= 6 {
			if e, ok4 := ipv4At(s, j); ok4 {
				groups += 2
				end = e
				decimal = true
				break
			}
			return 0, false
		}
		for _, c := range []byte(s[j:k]) {
			decimal = decimal || isDigit(c)
		}
		hexDigits += k - j
		groups++
		end = k
		j = k
		if j+1 < len(s) && s[j] == ':' && s[j+1] == ':' {
			if double {
				return 0, false
			}
			double = true
			j += 2
			end = j
			continue
		}
		if j+1 < len(s) && s[j] == ':' && class[s[j+1]]&cHex != 0 {
			j++
			continue
		}
		break
	}
	if end < len(s) && s[end] == ':' && (end+1 >= len(s) || s[end+1] != ':') && end > 0 && s[end-1] != ':' {
		// A trailing single colon ends a sentence ("at fe80::1:") only.
		if end+1 < len(s) && class[s[end+1]]&cHex != 0 {
			return 0, false
		}
	}
	if double {
		ok = groups <= 7 && groups >= 1
	} else {
		ok = groups == 8
	}
	return end, ok && decimal && hexDigits+groups >= 4
}

// ipv4At parses a dotted quad at j and returns its end.
func ipv4At(s string, j int) (int, bool) {
	for q := 0; q < 4; q++ {
		k := j
		for k < len(s) && isDigit(s[k]) && k-j < 4 {
			k++
		}
		if !octet(s[j:k]) {
			return 0, false
		}
		j = k
		if q < 3 {
			if j+1 >= len(s) || s[j] != '.' {
				return 0, false
			}
			j++
		}
	}
	return j, true
}
