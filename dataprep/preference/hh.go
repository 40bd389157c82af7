package preference

import (
	"fmt"
	"strings"

	"github.com/llmflow/llmflow/dataprep/chat"
)

// Turn markers of Anthropic HH transcripts.
const (
	hhHuman     = "\n\nHuman:"
	hhAssistant = "\n\nAssistant:"
)

// SplitHH splits two HH transcripts ("\n\nHuman: …\n\nAssistant: …") at
// the last Assistant turn they share: the turns before it become the
// prompt conversation, and what follows it in each is that transcript's
// answer. One space after each marker is dropped, so writing the turns
// back with "\n\nHuman: " and "\n\nAssistant: " gives the transcripts.
// An answer may itself contain turn markers (some HH answers run on into
// an imagined next turn), but not both: then the transcripts differ
// before their last Assistant turn and are not a pair.
func SplitHH(chosen, rejected string) (prompt []chat.Message, chosenAnswer, rejectedAnswer string, err error) {
	n := 0
	for n < len(chosen) && n < len(rejected) && chosen[n] == rejected[n] {
		n++
	}
	cut := strings.LastIndex(chosen[:n], hhAssistant)
	if cut < 0 {
		return nil, "", "", fmt.Errorf("chosen and rejected share no %q turn (they differ from byte %d); want two transcripts of one conversation that differ in the last Assistant turn", strings.TrimSpace(hhAssistant), n)
	}
	start := cut + len(hhAssistant)
	chosenAnswer = strings.TrimPrefix(chosen[start:], " ")
	rejectedAnswer = strings.TrimPrefix(rejected[start:], " ")
	if hasTurn(chosenAnswer) && hasTurn(rejectedAnswer) {
		return nil, "", "", fmt.Errorf("chosen and rejected differ before their last Assistant turn (from byte %d); want two transcripts that differ only in the last Assistant turn", n)
	}
	prompt, err = parseHH(chosen[:cut])
	if err != nil {
		return nil, "", "", err
	}
	return prompt, chosenAnswer, rejectedAnswer, nil
}

// parseHH reads a transcript's turns.
func parseHH(s string) ([]chat.Message, error) {
	var out []chat.Message
	for len(s) > 0 {
		var role string
		switch {
		case strings.HasPrefix(s, hhHuman):
			role, s = chat.RoleUser, s[len(hhHuman):]
		case strings.HasPrefix(s, hhAssistant):
			role, s = chat.RoleAssistant, s[len(hhAssistant):]
		default:
			return nil, fmt.Errorf("transcript does not start with %q", hhHuman)
		}
		end := nextTurn(s)
		out = append(out, chat.Message{Role: role, Content: strings.TrimPrefix(s[:end], " ")})
		s = s[end:]
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %q turn before the last Assistant turn", strings.TrimSpace(hhHuman))
	}
	for i := 1; i < len(out); i++ {
		if out[i].Role == out[i-1].Role {
			name := strings.TrimSpace(hhHuman)
			if out[i].Role == chat.RoleAssistant {
				name = strings.TrimSpace(hhAssistant)
			}
			return nil, fmt.Errorf("turns %d and %d are both %q turns; want Human and Assistant turns alternating", i, i+1, name)
		}
	}
	return out, nil
}

// nextTurn returns the offset of the next turn marker in s, or len(s).
func nextTurn(s string) int {
	end := len(s)
	for _, m := range []string{hhHuman, hhAssistant} {
		if i := strings.Index(s, m); i >= 0 && i < end {
			end = i
		}
	}
	return end
}

func hasTurn(s string) bool { return nextTurn(s) < len(s) }
