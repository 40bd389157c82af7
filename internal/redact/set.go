package redact

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Placeholder replaces every secret in redacted text.
const Placeholder = "(sensitive)"

// Set is a set of secret strings. The zero value is an empty set ready to
// use; a nil *Set redacts nothing. It is safe for concurrent use: secrets
// may be added while other goroutines redact.
type Set struct {
	mu      sync.RWMutex
	secrets map[string]bool
	r       *strings.Replacer
}

// Add adds secrets. Besides each value it adds the forms the value takes
// inside Go-quoted and JSON strings, where quotes, backslashes and control
// characters are escaped, so a message that quotes a secret is redacted too.
// Empty strings are ignored.
func (s *Set) Add(values ...string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.secrets == nil {
		s.secrets = map[string]bool{}
	}
	for _, v := range values {
		if v == "" {
			continue
		}
		s.secrets[v] = true
		q := strconv.Quote(v)
		s.secrets[q[1:len(q)-1]] = true
		if js, err := json.Marshal(v); err == nil {
			s.secrets[string(js[1:len(js)-1])] = true
		}
	}
	s.r = nil
}

// AddFrom adds every secret of o.
func (s *Set) AddFrom(o *Set) {
	if o == nil || o == s {
		return
	}
	s.Add(o.Values()...)
}

// Values returns the secrets, longest first.
func (s *Set) Values() []string {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.secrets))
	for v := range s.secrets {
		out = append(out, v)
	}
	// Longest first, so a secret that contains another is replaced whole.
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

// Empty reports whether the set holds no secret.
func (s *Set) Empty() bool {
	if s == nil {
		return true
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.secrets) == 0
}

// String returns text with every secret replaced by Placeholder.
func (s *Set) String(text string) string {
	if s.Empty() {
		return text
	}
	return s.replacer().Replace(text)
}

func (s *Set) replacer() *strings.Replacer {
	s.mu.RLock()
	r := s.r
	s.mu.RUnlock()
	if r != nil {
		return r
	}
	var pairs []string
	for _, v := range s.Values() {
		pairs = append(pairs, v, Placeholder)
	}
	r = strings.NewReplacer(pairs...)
	s.mu.Lock()
	s.r = r
	s.mu.Unlock()
	return r
}

// Error returns err with its message redacted; errors.Is and errors.As
// still see the original chain. A nil err stays nil.
func (s *Set) Error(err error) error {
	if err == nil || s.Empty() {
		return err
	}
	msg := s.String(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
