package tokenizer

import (
	"fmt"
	"sync"
)

// DefaultSpecialTokens are the special tokens of DefaultConfig, in id order.
var DefaultSpecialTokens = []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"}

// maxVocab bounds vocabularies read from files so hostile sizes fail early.
const maxVocab = 1 << 22

// Pair is one BPE merge: the ids of its left and right tokens.
type Pair struct{ Left, Right int32 }

// AddedToken is a token matched as a whole before BPE (Hugging Face
// "added_tokens"). Special tokens are the ones decoders may skip.
type AddedToken struct {
	ID      int32
	Content string
	Special bool
}

// Tokenizer is a byte-level BPE vocabulary with its merges. It is immutable
// and safe for concurrent use.
type Tokenizer struct {
	pre      PreTokenizer
	vocab    []string // id -> token in the byte-level alphabet (or added token content)
	raw      [][]byte // id -> the bytes the token stands for
	ids      map[string]int32
	byteID   [256]int32
	merges   []Pair
	mergeMap *mergeTable // left<<32|right -> rank<<32|new id
	added    []AddedToken
	addedIDs map[string]int32
	pool     sync.Pool
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// build checks vocab, added tokens and merges and fills the lookup tables.
// vocab[id] is the token in the byte-level alphabet; added tokens keep their
// content as their vocabulary entry.
func build(pre PreTokenizer, vocab []string, added []AddedToken, merges []Pair) (*Tokenizer, error) {
	if len(vocab) > maxVocab {
		return nil, fmt.Errorf("vocabulary has %d entries, more than the limit %d", len(vocab), maxVocab)
	}
	t := &Tokenizer{
		pre:      pre,
		vocab:    vocab,
		raw:      make([][]byte, len(vocab)),
		ids:      make(map[string]int32, len(vocab)),
		merges:   merges,
		mergeMap: newMergeTable(len(merges)),
		added:    added,
		addedIDs: make(map[string]int32, len(added)),
	}
	isAdded := make(map[int32]bool, len(added))
	for _, a := range added {
		if a.ID < 0 || int(a.ID) >= len(vocab) {
			return nil, fmt.Errorf("added token %q: id %d out of range [0, %d)", a.Content, a.ID, len(vocab))
		}
		if a.Content == "" {
			return nil, fmt.Errorf("added token %d: empty content", a.ID)
		}
		if _, dup := t.addedIDs[a.Content]; dup {
			return nil, fmt.Errorf("added token %q appears twice", a.Content)
		}
		if vocab[a.ID] != a.Content {
			return nil, fmt.Errorf("added token %q: id %d holds %q in the vocabulary", a.Content, a.ID, vocab[a.ID])
		}
		t.addedIDs[a.Content] = a.ID
		isAdded[a.ID] = true
	}
	for i := range t.byteID {
		t.byteID[i] = -1
	}
	for id, tok := range vocab {
		if _, dup := t.ids[tok]; dup {
			return nil, fmt.Errorf("token %q appears twice in the vocabulary (id %d)", tok, id)
		}
		t.ids[tok] = int32(id)
		if isAdded[int32(id)] {
			t.raw[id] = []byte(tok)
			continue
		}
		b, ok := unicodeToBytes(tok)
		if !ok || len(b) == 0 {
			return nil, fmt.Errorf("token %q (id %d) is not in the byte-level alphabet", tok, id)
		}
		t.raw[id] = b
		if len(b) == 1 {
			t.byteID[b[0]] = int32(id)
		}
	}
	for b, id := range t.byteID {
		if id < 0 {
			return nil, fmt.Errorf("vocabulary lacks the byte token %q (byte 0x%02x)", byteStrings[b], b)
		}
	}
	for rank, m := range merges {
		if m.Left < 0 || int(m.Left) >= len(vocab) || m.Right < 0 || int(m.Right) >= len(vocab) ||
			isAdded[m.Left] || isAdded[m.Right] {
			return nil, fmt.Errorf("merge %d references an unknown token", rank)
		}
		id, ok := t.ids[vocab[m.Left]+vocab[m.Right]]
		if !ok || isAdded[id] {
			return nil, fmt.Errorf("merge %d (%q %q): result %q is not in the vocabulary",
				rank, vocab[m.Left], vocab[m.Right], vocab[m.Left]+vocab[m.Right])
		}
		k := pairKey(m.Left, m.Right)
		if _, dup := t.mergeMap.get(k); dup {
			return nil, fmt.Errorf("merge %d (%q %q) appears twice", rank, vocab[m.Left], vocab[m.Right])
		}
		t.mergeMap.put(k, uint64(rank)<<32|uint64(uint32(id)))
	}
	t.pool.New = func() any { return t.NewEncoder() }
	return t, nil
}

// VocabSize is the number of ids, added tokens included.
func (t *Tokenizer) VocabSize() int { return len(t.vocab) }

// Merges returns the merges in rank order. The slice must not be modified.
func (t *Tokenizer) Merges() []Pair { return t.merges }

// AddedTokens returns the added tokens. The slice must not be modified.
func (t *Tokenizer) AddedTokens() []AddedToken { return t.added }

// PreTokenizer returns the rule that cuts text before BPE.
func (t *Tokenizer) PreTokenizer() PreTokenizer { return t.pre }

// TokenID returns the id of a token written in the byte-level alphabet, or
// of an added token by its content.
func (t *Tokenizer) TokenID(tok string) (int32, bool) {
	id, ok := t.ids[tok]
	return id, ok
}

// SpecialID returns the id of the added token with the given content.
func (t *Tokenizer) SpecialID(content string) (int32, bool) {
	id, ok := t.addedIDs[content]
	return id, ok
}

// Token returns the vocabulary entry of id (byte-level alphabet for BPE
// tokens, the content for added tokens).
func (t *Tokenizer) Token(id int32) (string, bool) {
	if id < 0 || int(id) >= len(t.vocab) {
		return "", false
	}
	return t.vocab[id], true
}

// TokenBytes returns the bytes id stands for. The slice must not be modified.
func (t *Tokenizer) TokenBytes(id int32) ([]byte, bool) {
	if id < 0 || int(id) >= len(t.raw) {
		return nil, false
	}
	return t.raw[id], true
}

// AppendDecode appends the bytes of ids to dst. Added tokens decode to their
// content. An id outside the vocabulary is an error.
func (t *Tokenizer) AppendDecode(dst []byte, ids []int32) ([]byte, error) {
	for i, id := range ids {
		if id < 0 || int(id) >= len(t.raw) {
			return dst, fmt.Errorf("token %d: id %d out of range [0, %d)", i, id, len(t.raw))
		}
		dst = append(dst, t.raw[id]...)
	}
	return dst, nil
}

// Decode returns the bytes of ids; see AppendDecode.
func (t *Tokenizer) Decode(ids []int32) ([]byte, error) { return t.AppendDecode(nil, ids) }

// Encode returns the ids of text, treating added-token text as plain text.
// It is safe for concurrent use; a goroutine encoding much text should hold
// its own Encoder.
func (t *Tokenizer) Encode(text []byte) []int32 {
	e := t.pool.Get().(*Encoder)
	out := e.Encode(nil, text)
	t.pool.Put(e)
	return out
}

// EncodeWithSpecial returns the ids of text with added-token content
// becoming its id, as the Hugging Face tokenizers library encodes a prompt;
// see Encoder.EncodeWithSpecial. It is safe for concurrent use.
func (t *Tokenizer) EncodeWithSpecial(text []byte) []int32 {
	e := t.pool.Get().(*Encoder)
	out := e.EncodeWithSpecial(nil, text)
	t.pool.Put(e)
	return out
}
