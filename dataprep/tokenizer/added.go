package tokenizer

import (
	"fmt"
	"unicode/utf8"
)

// WithAddedTokens returns a tokenizer that also knows the given tokens as
// added (special) tokens, each one id matched whole, with ids appended after
// the current vocabulary, in order. Tokens t already has as added tokens are
// kept with their ids; added reports how many ids are new. A model trained
// on t needs that many new embedding rows. t itself is not changed.
func (t *Tokenizer) WithAddedTokens(tokens []string) (_ *Tokenizer, added int, _ error) {
	vocab := append([]string(nil), t.vocab...)
	list := append([]AddedToken(nil), t.added...)
	seen := map[string]bool{}
	for i, s := range tokens {
		switch {
		case s == "":
			return nil, 0, fmt.Errorf("added token %d: empty content", i)
		case !utf8.ValidString(s):
			return nil, 0, fmt.Errorf("added token %q is not valid UTF-8", s)
		}
		if _, ok := t.addedIDs[s]; ok || seen[s] {
			continue
		}
		if _, ok := t.ids[s]; ok {
			return nil, 0, fmt.Errorf("added token %q is already an ordinary vocabulary entry", s)
		}
		seen[s] = true
		list = append(list, AddedToken{ID: int32(len(vocab)), Content: s, Special: true})
		vocab = append(vocab, s)
	}
	if len(vocab) == len(t.vocab) {
		return t, 0, nil
	}
	nt, err := build(t.pre, vocab, list, t.merges)
	if err != nil {
		return nil, 0, err
	}
	return nt, len(vocab) - len(t.vocab), nil
}
