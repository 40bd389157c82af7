package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// parseVocab reads the token -> id object with a streaming decoder so that a
// duplicate token is an error instead of silently keeping the last one.
// The result is indexed by id; unused ids are "".
func parseVocab(raw json.RawMessage) ([]string, error) {
	if isNull(raw) {
		return nil, errors.New("missing")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("must be an object of token -> id")
	}
	seen := map[string]bool{}
	var vocab []string
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := kt.(string) // object keys are always strings
		vt, err := dec.Token()
		if err != nil {
			return nil, err
		}
		num, ok := vt.(json.Number)
		if !ok {
			return nil, fmt.Errorf("token %q: id must be a number", key)
		}
		id, err := strconv.ParseInt(num.String(), 10, 64)
		// Ids must be dense, so none can exceed the number of entries,
		// which the document's size bounds.
		if err != nil || id < 0 || id >= maxVocab || id > int64(len(raw)) {
			return nil, fmt.Errorf("token %q: id %s out of range [0, %d)", key, num, maxVocab)
		}
		if seen[key] {
			return nil, fmt.Errorf("token %q appears twice", key)
		}
		if key == "" {
			return nil, fmt.Errorf("id %d: empty token", id)
		}
		seen[key] = true
		if int(id) >= len(vocab) {
			vocab = append(vocab, make([]string, int(id)+1-len(vocab))...)
		}
		if vocab[id] != "" {
			return nil, fmt.Errorf("id %d is used by both %q and %q", id, vocab[id], key)
		}
		vocab[id] = key
	}
	return vocab, nil
}

// mergeAdded places added tokens (which may extend past the model vocab) and
// checks that every id is used exactly once.
func mergeAdded(list []addedJSON, vocab []string) ([]AddedToken, []string, error) {
	var added []AddedToken
	for i, a := range list {
		if a.ID == nil || a.Content == nil {
			return nil, nil, fmt.Errorf("added_tokens[%d]: id and content are required", i)
		}
		id := *a.ID
		if id < 0 || id >= maxVocab || id > int64(len(vocab)+len(list)) {
			return nil, nil, fmt.Errorf("added_tokens[%d]: id %d out of range [0, %d)", i, id, maxVocab)
		}
		if *a.Content == "" {
			return nil, nil, fmt.Errorf("added_tokens[%d]: empty content", i)
		}
		if int(id) >= len(vocab) {
			vocab = append(vocab, make([]string, int(id)+1-len(vocab))...)
		}
		if vocab[id] != "" && vocab[id] != *a.Content {
			return nil, nil, fmt.Errorf("added_tokens[%d]: id %d is %q in the vocabulary, not %q", i, id, vocab[id], *a.Content)
		}
		vocab[id] = *a.Content
		added = append(added, AddedToken{ID: int32(id), Content: *a.Content, Special: a.Special})
	}
	for id, tok := range vocab {
		if tok == "" {
			return nil, nil, fmt.Errorf("model.vocab: id %d is unused; ids must run from 0 without gaps", id)
		}
	}
	return added, vocab, nil
}

func parseMerges(raw json.RawMessage, vocab []string) ([]Pair, error) {
	if isNull(raw) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errors.New("must be an array")
	}
	ids := make(map[string]int32, len(vocab))
	for id, tok := range vocab {
		ids[tok] = int32(id)
	}
	merges := make([]Pair, 0, len(items))
	for i, it := range items {
		var pair []string
		var s string
		if err := json.Unmarshal(it, &pair); err != nil {
			if err := json.Unmarshal(it, &s); err != nil {
				return nil, fmt.Errorf("[%d]: want [\"a\", \"b\"] or \"a b\"", i)
			}
			pair = strings.Split(s, " ")
		}
		if len(pair) != 2 {
			return nil, fmt.Errorf("[%d]: want two tokens, got %d", i, len(pair))
		}
		l, okl := ids[pair[0]]
		r, okr := ids[pair[1]]
		if !okl || !okr {
			return nil, fmt.Errorf("[%d]: %q %q references a token not in the vocabulary", i, pair[0], pair[1])
		}
		merges = append(merges, Pair{l, r})
	}
	return merges, nil
}
