package chat

import (
	"fmt"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

// AddTokens returns tok with the template's special tokens and a padding
// token added where tok lacks them, and how many ids were added (the rows a
// model's embedding must grow by, at the end). Padding gets its own token
// because a padding id equal to the end-of-turn id would be masked out of
// the loss where the model must learn to stop.
func AddTokens(tok *tokenizer.Tokenizer, t *Template) (*tokenizer.Tokenizer, int, error) {
	need := t.SpecialTokens()
	if _, ok := tok.SpecialID(TokenPad); !ok {
		need = append(need, TokenPad)
	}
	return tok.WithAddedTokens(need)
}

// IDs are the token ids a checkpoint's files name.
type IDs struct {
	BOS       int32 // beginning of text: <|endoftext|> when present, as GPT-2
	EOS       int32 // the template's end of turn
	Pad       int32 // never equal to EOS
	EndOfText int32 // <|endoftext|>, or -1
}

// Resolve looks up the ids t needs in tok; every special token of t and a
// padding token must be added tokens of tok (see AddTokens).
func (t *Template) Resolve(tok *tokenizer.Tokenizer) (IDs, error) {
	for _, s := range t.special {
		if _, ok := tok.SpecialID(s); !ok {
			return IDs{}, fmt.Errorf("chat template %s: the tokenizer lacks the special token %q (add it with AddTokens)", t.name, s)
		}
	}
	ids := IDs{EndOfText: -1}
	ids.EOS, _ = tok.SpecialID(t.endOfTurn)
	pad, ok := tok.SpecialID(TokenPad)
	if !ok || pad == ids.EOS {
		return IDs{}, fmt.Errorf("chat template %s: the tokenizer has no padding token %q distinct from end of turn (add it with AddTokens)", t.name, TokenPad)
	}
	ids.Pad = pad
	ids.BOS = ids.EOS
	if id, ok := tok.SpecialID(TokenEndOfText); ok {
		ids.BOS, ids.EndOfText = id, id
	}
	return ids, nil
}

// Options control Encoder.Encode.
type Options struct {
	// Generate appends the generation prompt (inference, not training).
	Generate bool
	// TrainOnPrompt sets every mask entry to 1, so the loss covers system
	// and user turns and the template's formatting as well.
	TrainOnPrompt bool
}

// Encoder renders and tokenizes conversations with one template and
// tokenizer. It is not safe for concurrent use; create one per goroutine.
type Encoder struct {
	t   *Template
	tok *tokenizer.Tokenizer
	enc *tokenizer.Encoder
}

// NewEncoder checks that tok has every special token t needs.
func NewEncoder(t *Template, tok *tokenizer.Tokenizer) (*Encoder, error) {
	if _, err := t.Resolve(tok); err != nil {
		return nil, err
	}
	return &Encoder{t: t, tok: tok, enc: tok.NewEncoder()}, nil
}

// Encode returns the ids of msgs rendered with the template and a loss
// mask of the same length (see the package doc for which tokens get 1).
// The whole text is tokenized at once, so ids equal Hugging Face's
// apply_chat_template(msgs, tokenize=True) for the files WriteHFFiles writes.
func (e *Encoder) Encode(msgs []Message, opt Options) (ids []int32, mask []uint8, err error) {
	text, spans, err := e.t.Render(msgs, opt.Generate)
	if err != nil {
		return nil, nil, err
	}
	ids = e.enc.EncodeWithSpecial(nil, []byte(text))
	mask = make([]uint8, len(ids))
	off, si := 0, 0
	for i, id := range ids {
		b, _ := e.tok.TokenBytes(id)
		end := off + len(b)
		// A token is trained when any of its bytes is: BPE can merge the
		// first byte of a reply with the end of its prefix.
		for si < len(spans) && spans[si].End <= off {
			si++
		}
		for j := si; j < len(spans) && spans[j].Start < end; j++ {
			if spans[j].Train || opt.TrainOnPrompt {
				mask[i] = 1
				break
			}
		}
		off = end
	}
	if off != len(text) {
		return nil, nil, fmt.Errorf("chat: tokens cover %d bytes of %d; this is a bug in llmflow", off, len(text))
	}
	return ids, mask, nil
}
