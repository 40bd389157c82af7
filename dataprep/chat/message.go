package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Roles of a conversation turn.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// CheckConversation reports the first structural problem of msgs as used
// for training: an optional system turn first, then user and assistant
// turns alternating, starting with user and ending with assistant; no empty
// content and only valid UTF-8.
func CheckConversation(msgs []Message) error {
	if len(msgs) == 0 {
		return fmt.Errorf("conversation is empty")
	}
	next := RoleUser
	for i, m := range msgs {
		if !utf8.ValidString(m.Content) {
			return fmt.Errorf("message %d: content is not valid UTF-8", i)
		}
		switch {
		case i == 0 && m.Role == RoleSystem:
			continue
		case m.Role != next:
			return fmt.Errorf("message %d: role %q, want %q (an optional system turn first, then user and assistant alternating)", i, m.Role, next)
		case m.Content == "":
			return fmt.Errorf("message %d (%s): empty content", i, m.Role)
		}
		if next == RoleUser {
			next = RoleAssistant
		} else {
			next = RoleUser
		}
	}
	if msgs[len(msgs)-1].Role != RoleAssistant {
		return fmt.Errorf("conversation ends with a %s turn, want an assistant turn", msgs[len(msgs)-1].Role)
	}
	return nil
}

// MarshalMessages returns the canonical JSON of msgs: an array of
// {"role","content"} objects in order, without HTML escaping, as the
// messages column of an instruction dataset holds it.
func MarshalMessages(msgs []Message) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if msgs == nil {
		msgs = []Message{}
	}
	if err := enc.Encode(msgs); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// UnmarshalMessages parses the messages column written by MarshalMessages.
func UnmarshalMessages(data []byte) ([]Message, error) {
	var msgs []Message
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&msgs); err != nil {
		return nil, fmt.Errorf("messages: %v", err)
	}
	return msgs, nil
}
