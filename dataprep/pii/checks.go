package pii

// luhn reports whether the ASCII digits d pass the Luhn check.
func luhn(d []byte) bool {
	sum, dbl := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if dbl {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		dbl = !dbl
	}
	return sum%10 == 0
}

// cardNumber reports whether the digits d are a plausible payment card
// number: an issuer prefix of a card network (ISO/IEC 7812 major industry
// identifiers 2-6), a length that network issues, and a valid Luhn digit.
// The prefix test keeps ISBN-13s (978/979) and most order numbers out.
func cardNumber(d []byte) bool {
	n := len(d)
	if n < 13 || n > 19 {
		return false
	}
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p4 := p2*100 + int(d[2]-'0')*10 + int(d[3]-'0')
	ok := false
	switch d[0] {
	case '4': // Visa
		ok = n == 13 || n == 16 || n == 19
	case '5': // Mastercard 51-55, Maestro 50, 56-59
		ok = n >= 16
	case '2': // Mastercard 2-series
		ok = n == 16 && p4 >= 2221 && p4 <= 2720
	case '3':
		switch {
		case p2 == 34 || p2 == 37: // American Express
			ok = n == 15
		case p2 == 30 || p2 == 36 || p2 == 38 || p2 == 39: // Diners Club
			ok = n >= 14 && n <= 16
		case p2 == 35: // JCB
			ok = n >= 16
		}
	case '6': // Discover, UnionPay, Maestro, RuPay
		ok = n >= 16
	}
	return ok && luhn(d)
}

var cnIDWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// cnIDShape reports whether s (18 bytes) looks like a resident identity
// number: a province code and a birth date, whatever its check digit.
func cnIDShape(s string) bool {
	if len(s) != 18 || s[0] < '1' || s[0] > '9' {
		return false
	}
	for i := 0; i < 17; i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	y := atoi(s[6:10])
	m := atoi(s[10:12])
	d := atoi(s[12:14])
	return y >= 1900 && y <= 2099 && m >= 1 && m <= 12 && d >= 1 && d <= 31
}

// cnIDValid checks the GB 11643-1999 check digit (ISO 7064 MOD 11-2).
func cnIDValid(s string) bool {
	if !cnIDShape(s) {
		return false
	}
	sum := 0
	for i, w := range cnIDWeights {
		sum += int(s[i]-'0') * w
	}
	want := "10X98765432"[sum%11]
	c := s[17]
	if c == 'x' {
		c = 'X'
	}
	return c == want
}

func atoi(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

// ssnValid applies the SSA rules: area 001-899 except 666, group 01-99,
// serial 0001-9999.
func ssnValid(area, group, serial int) bool {
	return area > 0 && area != 666 && area < 900 && group > 0 && serial > 0
}

// ibanLen is the IBAN length per country (SWIFT IBAN registry).
var ibanLen = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
	"BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
	"ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
	"HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
	"LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
	"MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
	"RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

// ibanValid checks ISO 13616 mod-97 on the upper-case alphanumeric b.
func ibanValid(b []byte) bool {
	r := 0
	add := func(c byte) {
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A'+10)) % 97
		}
	}
	for _, c := range b[4:] {
		add(c)
	}
	for _, c := range b[:4] {
		add(c)
	}
	return r == 1
}
