package align

import (
	"slices"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/preference"
)

func testPolicy(t *testing.T) *Policy {
	t.Helper()
	p, err := LoadPolicy(chatCheckpoint(t), "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEncodePairs: both answers follow the same prompt tokens, which are
// what the template renders with the generation prompt; only the final
// answer (not the prompt's earlier assistant turn) is masked, and it
// decodes to the answer and the end of turn.
func TestEncodePairs(t *testing.T) {
	p := testPolicy(t)
	pairs := testPairs(4)
	enc, n, err := EncodePairs(p.Encoder, pairs, Truncation{MaxLength: 128, MaxPromptLength: 64})
	if err != nil {
		t.Fatal(err)
	}
	if n.Pairs != 4 || n.Truncated != 0 || n.Dropped != 0 || len(enc) != 4 {
		t.Fatalf("counts %+v", n)
	}
	for i, e := range enc {
		prompt, _, err := p.Encoder.Encode(pairs[i].Prompt, chat.Options{Generate: true})
		if err != nil {
			t.Fatal(err)
		}
		for k, s := range []Sequence{e.Chosen, e.Rejected} {
			if !slices.Equal(s.IDs[:len(prompt)], prompt) || slices.Contains(s.Mask[:len(prompt)], 1) {
				t.Fatalf("pair %d answer %d: the prompt part differs or is masked", i, k)
			}
			var answer []int32
			for j, m := range s.Mask {
				if m == 1 {
					answer = append(answer, s.IDs[j])
				}
			}
			got, _ := p.Tokenizer.Decode(answer)
			want := []string{pairs[i].Chosen, pairs[i].Rejected}[k] + chat.TokenIMEnd
			if string(got) != want {
				t.Fatalf("pair %d answer %d: masked tokens decode to %q, want %q", i, k, got, want)
			}
		}
		if e.Index != i {
			t.Fatalf("pair %d has index %d", i, e.Index)
		}
	}
}

// TestTruncation: a long prompt keeps its end, then the answers are cut to
// max_length; a pair whose answers come out equal is dropped.
func TestTruncation(t *testing.T) {
	p := testPolicy(t)
	long := preference.Pair{ID: "long",
		Prompt:   []chat.Message{{Role: chat.RoleUser, Content: strings.Repeat("What is 3 plus 4? ", 20)}},
		Chosen:   "3 plus 4 is 7. " + strings.Repeat("Seven. ", 10),
		Rejected: "I do not know, maybe 12.",
	}
	same := preference.Pair{ID: "same", Prompt: long.Prompt, Chosen: "Seven is the answer here.", Rejected: "Seven is the answer there."}
	tr := Truncation{MaxLength: 40, MaxPromptLength: 16}
	enc, n, err := EncodePairs(p.Encoder, []preference.Pair{long, same}, tr)
	if err != nil {
		t.Fatal(err)
	}
	if n.Truncated < 1 {
		t.Fatalf("counts %+v", n)
	}
	prompt, _, _ := p.Encoder.Encode(long.Prompt, chat.Options{Generate: true})
	e := enc[0]
	if len(e.Chosen.IDs) != 40 || len(e.Rejected.IDs) > 40 {
		t.Fatalf("lengths %d and %d, want ≤ 40 with the long answer cut to 40", len(e.Chosen.IDs), len(e.Rejected.IDs))
	}
	if !slices.Equal(e.Chosen.IDs[:16], prompt[len(prompt)-16:]) {
		t.Fatal("the truncated prompt is not the prompt's last 16 tokens")
	}
	// Both answers of "same" share their first tokens; with room for only
	// a few they become equal and the pair is dropped.
	_, n, err = EncodePairs(p.Encoder, []preference.Pair{same}, Truncation{MaxLength: 18, MaxPromptLength: 16})
	if err != nil {
		t.Fatal(err)
	}
	if n.Dropped != 1 {
		t.Fatalf("counts %+v, want the pair dropped", n)
	}
	if _, err := (Truncation{MaxLength: 100}).resolve(64); err == nil {
		t.Fatal("max_length beyond the context accepted")
	}
	if tr, _ := (Truncation{}).resolve(64); tr.MaxLength != 64 || tr.MaxPromptLength != 32 {
		t.Fatalf("defaults %+v", tr)
	}
}

// TestSequenceLogProbs: a sequence's log-prob is the same alone as in a
// padded batch, and is the sum over its masked tokens of log p.
func TestSequenceLogProbs(t *testing.T) {
	p := testPolicy(t)
	enc, _, err := EncodePairs(p.Encoder, testPairs(5), Truncation{MaxLength: 128, MaxPromptLength: 64})
	if err != nil {
		t.Fatal(err)
	}
	var seqs []Sequence
	for _, e := range enc {
		seqs = append(seqs, e.Chosen, e.Rejected)
	}
	all, err := SequenceLogProbs(p.Model, seqs, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range seqs {
		one, err := SequenceLogProbs(p.Model, []Sequence{s}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if one.Sum[0] != all.Sum[i] || one.Tokens[0] != all.Tokens[i] {
			t.Fatalf("sequence %d: %v (%d tokens) alone, %v (%d) in a batch", i, one.Sum[0], one.Tokens[0], all.Sum[i], all.Tokens[i])
		}
		masked := 0
		for _, m := range s.Mask[1:] {
			masked += int(m)
		}
		if all.Tokens[i] != masked || all.Sum[i] >= 0 {
			t.Fatalf("sequence %d: %d tokens (want %d), log-prob %v", i, all.Tokens[i], masked, all.Sum[i])
		}
	}
}
