package sft

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// templateTokenizer returns the tiny checkpoint's tokenizer with tmpl's
// tokens added.
func templateTokenizer(t *testing.T, tmpl *chat.Template) *tokenizer.Tokenizer {
	t.Helper()
	base, err := tokenizer.Load(filepath.Join(tinyCheckpoint(t, 64), model.TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := chat.AddTokens(base, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestLossMask packs multi-turn conversations and checks that the targets
// that carry weight spell exactly the assistant replies, each followed by
// its end-of-turn token, and with train_on_prompt everything but each
// example's first token.
func TestLossMask(t *testing.T) {
	convs := [][]chat.Message{
		{{Role: chat.RoleSystem, Content: "Be brief."}, {Role: chat.RoleUser, Content: "What is 2 plus 3?"},
			{Role: chat.RoleAssistant, Content: "5."}, {Role: chat.RoleUser, Content: "And 4 plus 4?"}, {Role: chat.RoleAssistant, Content: "8 it is."}},
		{{Role: chat.RoleUser, Content: "What is 1 plus 6?"}, {Role: chat.RoleAssistant, Content: "1 plus 6 is 7."}},
	}
	for _, name := range chat.Builtins() {
		t.Run(name, func(t *testing.T) {
			tmpl, _ := chat.Builtin(name)
			tok := templateTokenizer(t, tmpl)
			ids, _ := tmpl.Resolve(tok)
			enc, err := chat.NewEncoder(tmpl, tok)
			if err != nil {
				t.Fatal(err)
			}
			var want, all strings.Builder
			for _, c := range convs {
				for _, m := range c {
					if m.Role == chat.RoleAssistant {
						want.WriteString(m.Content + tmpl.EndOfTurn())
					}
				}
				text, _, _ := tmpl.Render(c, false)
				// Without the mask, every token but the first is a target.
				first, _ := tok.Decode(tok.NewEncoder().EncodeWithSpecial(nil, []byte(text))[:1])
				all.WriteString(strings.TrimPrefix(text, string(first)))
			}
			for _, tc := range []struct {
				name string
				opt  chat.Options
				want string
			}{{"responses", chat.Options{}, want.String()}, {"train_on_prompt", chat.Options{TrainOnPrompt: true}, all.String()}} {
				t.Run(tc.name, func(t *testing.T) {
					d, n, err := Encode(enc, convs, 255, tc.opt, OverlongTruncate)
					if err != nil || n.Examples != 2 {
						t.Fatalf("%d examples, %v", n.Examples, err)
					}
					src, err := trainer.NewPacked(d, 255, ids.Pad, 1)
					if err != nil {
						t.Fatal(err)
					}
					row := trainer.Row{Inputs: make([]int32, 255), Targets: make([]int32, 255), Seg: make([]int32, 255), Weights: make([]float32, 255)}
					var got []byte
					for src.Position().Epoch == 0 && src.Position().Cursor < 2 {
						src.Next(row)
						for i, w := range row.Weights {
							if w != 0 {
								b, _ := tok.TokenBytes(row.Targets[i])
								got = append(got, b...)
							}
						}
					}
					// Two examples in one row come in the epoch's order.
					if string(got) != tc.want && !sameHalves(got, tc.want) {
						t.Errorf("learned targets spell %q, want %q", got, tc.want)
					}
					if !bytes.Contains(got, []byte(tmpl.EndOfTurn())) {
						t.Error("the end-of-turn token is not learned")
					}
				})
			}
		})
	}
}

// sameHalves reports whether got is want with its two examples swapped.
func sameHalves(got []byte, want string) bool {
	for i := 1; i < len(want); i++ {
		if string(got) == want[i:]+want[:i] {
			return true
		}
	}
	return false
}

// TestOverlong: an example longer than the context is cut or dropped by
// policy, and one whose response lies past the cut is dropped either way.
func TestOverlong(t *testing.T) {
	tmpl, _ := chat.Builtin(chat.ChatML)
	tok := templateTokenizer(t, tmpl)
	enc, _ := chat.NewEncoder(tmpl, tok)
	long := strings.Repeat("plus ", 80)
	convs := [][]chat.Message{
		{{Role: chat.RoleUser, Content: "What?"}, {Role: chat.RoleAssistant, Content: long}},
		{{Role: chat.RoleUser, Content: long}, {Role: chat.RoleAssistant, Content: "No."}},
		{{Role: chat.RoleUser, Content: "1 plus 1?"}, {Role: chat.RoleAssistant, Content: "2."}},
	}
	for _, tc := range []struct {
		policy string
		want   Counts
	}{
		{OverlongTruncate, Counts{Examples: 2, Truncated: 1, Dropped: 1}},
		{OverlongDrop, Counts{Examples: 1, Dropped: 2}},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			d, n, err := Encode(enc, convs, 48, chat.Options{}, tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.want {
				t.Fatalf("counts %+v, want %+v", n, tc.want)
			}
			for _, e := range d.Examples {
				if len(e) > 49 {
					t.Errorf("example of %d tokens", len(e))
				}
			}
		})
	}
}

func TestHoldOut(t *testing.T) {
	convs := qaConvs(40)
	train, val := HoldOut(convs, 0.1, 3)
	if len(val) != 4 || len(train) != 36 {
		t.Fatalf("%d train, %d val", len(train), len(val))
	}
	_, again := HoldOut(convs, 0.1, 3)
	_, other := HoldOut(convs, 0.1, 4)
	if again[0][0] != val[0][0] || (other[0][0] == val[0][0] && other[1][0] == val[1][0]) {
		t.Error("the held-out set does not follow the seed")
	}
	if tr, v := HoldOut(convs, 0, 3); len(tr) != 40 || v != nil {
		t.Error("val_fraction 0 held out examples")
	}
}

func TestReadConversations(t *testing.T) {
	dir := writeInstructions(t, qaConvs(3))
	got, err := ReadConversations(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[2][1] != qaConvs(3)[2][1] {
		t.Fatalf("read %v", got)
	}
}
