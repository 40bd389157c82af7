package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// Why an answer ended.
const (
	stopEOS         = "eos"
	stopMaxTokens   = "max_new_tokens"
	stopInterrupted = "interrupted"
)

// chatSession holds a conversation with one checkpoint: the template that
// renders it, the history sent with every turn, and one sampler whose seed
// fixes the whole conversation. Not safe for concurrent use.
type chatSession struct {
	m       *model.Model
	tok     *tokenizer.Tokenizer
	enc     *tokenizer.Encoder
	tmpl    *chat.Template
	sampler *model.Sampler
	stops   []int32
	maxNew  int
	system  string
	history []chat.Message // user and assistant turns, alternating
	// notice reports what the user should know but is not an answer
	// (dropped turns); it must not write to the answer stream.
	notice func(format string, args ...any)
}

// chatTurn is one exchange, as --json prints it.
type chatTurn struct {
	Turn         int     `json:"turn"`
	User         string  `json:"user"`
	Assistant    string  `json:"assistant"`
	Stop         string  `json:"stop"`
	PromptIDs    []int32 `json:"prompt_ids"`
	IDs          []int32 `json:"ids"`
	DroppedTurns int     `json:"dropped_turns,omitempty"`
}

// messages is the conversation so far followed by user.
func (s *chatSession) messages(user string) []chat.Message {
	var msgs []chat.Message
	if s.system != "" {
		msgs = append(msgs, chat.Message{Role: chat.RoleSystem, Content: s.system})
	}
	msgs = append(msgs, s.history...)
	return append(msgs, chat.Message{Role: chat.RoleUser, Content: user})
}

// prompt renders the conversation with user's message and the generation
// prompt into ids. When they leave too little room for an answer in the
// model's context, the oldest exchanges are dropped (the system turn
// stays); it returns how many turns went.
func (s *chatSession) prompt(user string) ([]int32, int, error) {
	P := s.m.MaxTokens()
	room := min(s.maxNew, P/2)
	dropped := 0
	for {
		text, _, err := s.tmpl.Render(s.messages(user), true)
		if err != nil {
			return nil, 0, err
		}
		// Added tokens spelled in the text are one id each, as
		// apply_chat_template gives them.
		ids := s.enc.EncodeWithSpecial(nil, []byte(text))
		if len(ids)+room <= P {
			return ids, dropped, nil
		}
		if len(s.history) == 0 {
			s.notice("the prompt takes %d of the model's %d positions: the answer sees only the last ones", len(ids), P)
			return ids, dropped, nil
		}
		s.history = s.history[min(2, len(s.history)):]
		dropped += 2
	}
}

// reply answers user: it streams the answer's text to w as tokens are
// sampled, until an end-of-turn id, max-new-tokens, or interrupted
// returning true. The exchange joins the history.
func (s *chatSession) reply(w io.Writer, user string, interrupted func() bool) (chatTurn, error) {
	ids, dropped, err := s.prompt(user)
	if err != nil {
		return chatTurn{}, err
	}
	if dropped > 0 {
		s.notice("the conversation outgrew the model's context of %d tokens: dropped the oldest %d turns", s.m.MaxTokens(), dropped)
	}
	turn := chatTurn{User: user, Stop: stopMaxTokens, PromptIDs: ids, DroppedTurns: dropped}
	dec := s.tok.NewStreamDecoder()
	var text []byte
	var decErr error
	_, err = s.m.GenerateStream(ids, s.maxNew, s.sampler, s.stops, func(id int32) bool {
		if interrupted() {
			turn.Stop = stopInterrupted
			return false
		}
		if slices.Contains(s.stops, id) {
			turn.Stop = stopEOS
			return true
		}
		turn.IDs = append(turn.IDs, id)
		piece, err := dec.Next(id)
		if err != nil {
			decErr = err
			return false
		}
		text = append(text, piece...)
		io.WriteString(w, piece)
		return true
	})
	if err == nil {
		err = decErr
	}
	if err != nil {
		return chatTurn{}, fmt.Errorf("generating: %w", err)
	}
	rest := dec.Flush()
	io.WriteString(w, rest)
	turn.Assistant = string(text) + rest
	s.history = append(s.history, chat.Message{Role: chat.RoleUser, Content: user}, chat.Message{Role: chat.RoleAssistant, Content: turn.Assistant})
	return turn, nil
}

// reset forgets the conversation; the system turn stays.
func (s *chatSession) reset() { s.history = nil }
