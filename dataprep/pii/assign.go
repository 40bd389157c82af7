package pii

import "strings"

// secretKeys are the identifier endings that mark an assignment of a secret
// (compared in lower case): OPENAI_API_KEY, client_secret, "password"...
var secretKeys = []string{
	"api_key", "apikey", "api-key", "secret", "secret_key", "secretkey", "access_key", "accesskey",
	"token", "password", "passwd", "pwd", "private_key", "privatekey", "credentials", "authorization",
}

// colon handles ':': IPv6 addresses, then "key: value" secrets.
func (sc *scanner) colon(i int) int {
	if sc.on[IPAddress] {
		if end := sc.ipv6(i); end > 0 {
			return end
		}
	}
	return sc.assignment(i)
}

// assignment handles '=' or ':' after a secret-looking identifier, possibly
// quoted (JSON, YAML, shell, .env, Python): only the value is replaced.
func (sc *scanner) assignment(i int) int {
	s := sc.s
	if !sc.on[Secret] {
		return i + 1
	}
	// Identifier before the operator.
	k := i
	for k > 0 && i-k < 3 && (s[k-1] == ' ' || s[k-1] == '\t') {
		k--
	}
	if k > 0 && (s[k-1] == '"' || s[k-1] == '\'') {
		k--
	}
	e := k
	for k > 0 && e-k < 64 && (isAlnum(s[k-1]) || s[k-1] == '_' || s[k-1] == '-' || s[k-1] == '.') {
		k--
	}
	if e-k < 3 || !secretKey(s[k:e]) {
		return i + 1
	}
	// Value after it.
	j := i + 1
	if j < len(s) && (s[j] == '>' || s[j] == '=') { // =>, :=
		j++
	}
	for j < len(s) && j-i < 4 && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	// "Authorization: Bearer <token>": the scheme stays, the token goes.
	for _, scheme := range []string{"Bearer ", "bearer ", "Basic ", "Token ", "token "} {
		if strings.HasPrefix(s[j:], scheme) {
			j += len(scheme)
			break
		}
	}
	var q byte
	if j < len(s) && (s[j] == '"' || s[j] == '\'' || s[j] == '`') {
		q = s[j]
		j++
	}
	vs := j
	for j < len(s) && j-vs < 512 {
		c := s[j]
		if q != 0 {
			if c == q || c == '\n' {
				break
			}
		} else if class[c]&cValue == 0 {
			break
		}
		j++
	}
	v := s[vs:j]
	if q != 0 && (j >= len(s) || s[j] != q) {
		return i + 1
	}
	if q == 0 {
		v = strings.TrimRight(v, ".,;")
		// "--" after the colon is a dash in prose ("in secret:--nurse")
		// or a command-line option, never an unquoted value.
		if strings.HasPrefix(v, "--") {
			return i + 1
		}
	}
	if len(v) < 6 || (q == 0 && !secretLike(v)) || vs < sc.lastEnd {
		return i + 1
	}
	sc.emit(vs, vs+len(v), Secret)
	return vs + len(v)
}

// secretKey reports whether the identifier id ends with a secret key name.
func secretKey(id string) bool {
	var buf [64]byte
	b := buf[:0]
	for k := 0; k < len(id); k++ {
		b = append(b, lower(id[k]))
	}
	for _, key := range secretKeys {
		if len(b) >= len(key) && string(b[len(b)-len(key):]) == key {
			return true
		}
	}
	return false
}

// secretLike tells an unquoted secret from a prose word after "password:":
// it needs a digit, a symbol, or both letter cases.
func secretLike(v string) bool {
	var up, lo, dig, sym bool
	for k := 0; k < len(v); k++ {
		c := class[v[k]]
		switch {
		case c&cDigit != 0:
			dig = true
		case c&cUpper != 0:
			up = true
		case c&cLower != 0:
			lo = true
		default:
			sym = true
		}
	}
	return dig || sym || (up && lo)
}
