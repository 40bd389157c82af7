package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// chatData is what the tiny chat model learns: two exchanges, the second
// only after the first, so its answers show whether the history arrived.
var chatData = [][]chat.Message{
	{{Role: chat.RoleUser, Content: "hello"}, {Role: chat.RoleAssistant, Content: "hi there"}},
	{{Role: chat.RoleUser, Content: "hello"}, {Role: chat.RoleAssistant, Content: "hi there"},
		{Role: chat.RoleUser, Content: "bye"}, {Role: chat.RoleAssistant, Content: "see you 再见"}},
}

// chatCheckpoint is a trained tiny chat model, made once per test binary.
type chatCheckpoint struct {
	dir  string
	tok  *tokenizer.Tokenizer
	tmpl *chat.Template
}

var (
	chatOnce sync.Once
	chatCkpt chatCheckpoint
	chatErr  error
)

// tinyChatCheckpoint trains a small GPT-2 on chatData rendered with chatml
// (loss on the answers and their end-of-turn token) until greedy decoding
// reproduces them, and saves it with the Hugging Face chat files. Its
// embedding is padded past the tokenizer, as round-sized vocabularies are.
func tinyChatCheckpoint(t *testing.T) chatCheckpoint {
	t.Helper()
	chatOnce.Do(func() { chatCkpt, chatErr = trainChatCheckpoint() })
	if chatErr != nil {
		t.Fatal(chatErr)
	}
	return chatCkpt
}

func trainChatCheckpoint() (chatCheckpoint, error) {
	tmpl, _ := chat.Builtin(chat.ChatML)
	var corpus [][]byte
	for _, c := range chatData {
		text, _, err := tmpl.Render(c, false)
		if err != nil {
			return chatCheckpoint{}, err
		}
		corpus = append(corpus, []byte(text))
	}
	base, err := tokenizer.Train(context.Background(), corpus, tokenizer.Config{VocabSize: 300, MinFrequency: 2, SpecialTokens: []string{chat.TokenEndOfText}})
	if err != nil {
		return chatCheckpoint{}, err
	}
	tok, _, err := chat.AddTokens(base, tmpl)
	if err != nil {
		return chatCheckpoint{}, err
	}
	enc, err := chat.NewEncoder(tmpl, tok)
	if err != nil {
		return chatCheckpoint{}, err
	}
	const T = 128
	B := len(chatData)
	pad, _ := tok.SpecialID(chat.TokenPad)
	in, tg := make([]int32, B*T), make([]int32, B*T)
	for b, c := range chatData {
		ids, mask, err := enc.Encode(c, chat.Options{})
		if err != nil {
			return chatCheckpoint{}, err
		}
		for i := range T {
			in[b*T+i], tg[b*T+i] = pad, -1
			if i < len(ids) {
				in[b*T+i] = ids[i]
			}
			if i+1 < len(ids) && mask[i+1] == 1 {
				tg[b*T+i] = ids[i+1]
			}
		}
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize() + 5, NPositions: T, NLayer: 2, NHead: 2, NEmbd: 32, LayerNormEps: 1e-5})
	if err != nil {
		return chatCheckpoint{}, err
	}
	m.Init(3)
	opt := model.NewAdamW(len(m.Params), 0)
	scale := float32(1) / float32(B*T)
	for range 300 {
		m.ZeroGrad()
		if _, _, err := m.ForwardTrain(in, tg, nil, B, T, scale); err != nil {
			return chatCheckpoint{}, err
		}
		if err := m.Backward(scale); err != nil {
			return chatCheckpoint{}, err
		}
		opt.Update(m, 3e-3)
	}
	dir, err := osMkdirTemp()
	if err != nil {
		return chatCheckpoint{}, err
	}
	if err := model.SaveCheckpoint(dir, m, ""); err != nil {
		return chatCheckpoint{}, err
	}
	if err := chat.WriteHFFiles(dir, tok, tmpl, T); err != nil {
		return chatCheckpoint{}, err
	}
	return chatCheckpoint{dir, tok, tmpl}, nil
}

// chatTurns runs `llmflow chat --json` with stdin and returns its turns.
func chatTurns(t *testing.T, ckpt, stdin string, args ...string) ([]chatTurn, result) {
	t.Helper()
	args = append([]string{"chat", "--checkpoint", ckpt, "--json", "--temperature", "0"}, args...)
	res := llmflowInput(t, filepath.Dir(ckpt), stdin, args...)
	if res.code != 0 {
		t.Fatalf("chat: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	var turns []chatTurn
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		if line == "" {
			continue
		}
		var turn chatTurn
		if err := json.Unmarshal([]byte(line), &turn); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		turns = append(turns, turn)
	}
	return turns, res
}

// TestChatHistory sends two messages through the real binary: the ids of
// turn 2 are exactly the template's rendering of turn 1 and the new
// message, and both answers stop at the end-of-turn token.
func TestChatHistory(t *testing.T) {
	c := tinyChatCheckpoint(t)
	enc, err := chat.NewEncoder(c.tmpl, c.tok)
	if err != nil {
		t.Fatal(err)
	}
	render := func(msgs ...chat.Message) []int32 {
		ids, _, err := enc.Encode(msgs, chat.Options{Generate: true})
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	user := func(s string) chat.Message { return chat.Message{Role: chat.RoleUser, Content: s} }
	asst := func(s string) chat.Message { return chat.Message{Role: chat.RoleAssistant, Content: s} }
	sys := chat.Message{Role: chat.RoleSystem, Content: "Be brief."}
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        [][]int32 // prompt ids per turn
		answers     []string
		stops       []string
	}{
		{"two turns", "hello\nbye\n", nil,
			[][]int32{render(user("hello")), render(user("hello"), asst("hi there"), user("bye"))},
			[]string{"hi there", "see you 再见"}, []string{stopEOS, stopEOS}},
		{"system", "hello\n", []string{"--system", "Be brief."},
			[][]int32{render(sys, user("hello"))}, nil, []string{stopEOS}},
		{"system command", "/system Be brief.\nhello\n", nil,
			[][]int32{render(sys, user("hello"))}, nil, []string{stopEOS}},
		{"reset", "hello\n/reset\nbye\n", nil,
			[][]int32{render(user("hello")), render(user("bye"))}, []string{"hi there"}, nil},
		{"max new tokens", "hello\n", []string{"--max-new-tokens", "2"},
			[][]int32{render(user("hello"))}, nil, []string{stopMaxTokens}},
		{"exit", "hello\n/exit\nbye\n", nil, [][]int32{render(user("hello"))}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			turns, res := chatTurns(t, c.dir, tc.stdin, tc.args...)
			if len(turns) != len(tc.want) {
				t.Fatalf("%d turns, want %d\n%s%s", len(turns), len(tc.want), res.stdout, res.stderr)
			}
			for i, turn := range turns {
				if turn.Turn != i+1 || !slices.Equal(turn.PromptIDs, tc.want[i]) {
					t.Errorf("turn %d (%d): prompt ids\n%v\nwant\n%v", i+1, turn.Turn, turn.PromptIDs, tc.want[i])
				}
				if i < len(tc.answers) && turn.Assistant != tc.answers[i] {
					t.Errorf("turn %d: answer %q, want %q", i+1, turn.Assistant, tc.answers[i])
				}
				if i < len(tc.stops) && turn.Stop != tc.stops[i] {
					t.Errorf("turn %d: stop %q, want %q", i+1, turn.Stop, tc.stops[i])
				}
				for _, id := range turn.IDs {
					if int(id) >= c.tok.VocabSize() {
						t.Errorf("turn %d: sampled id %d past the tokenizer's %d", i+1, id, c.tok.VocabSize())
					}
				}
			}
		})
	}
}

// TestChatPlainOutput: without --json the answers stream to standard
// output one per line, and notices go to standard error.
func TestChatPlainOutput(t *testing.T) {
	c := tinyChatCheckpoint(t)
	res := llmflowInput(t, filepath.Dir(c.dir), "hello\n/nope\nbye\n", "chat", "--checkpoint", c.dir, "--temperature", "0")
	if res.code != 0 || res.stdout != "hi there\nsee you 再见\n" {
		t.Fatalf("exit %d, stdout %q\n%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stderr, "unknown command /nope") {
		t.Errorf("stderr %q", res.stderr)
	}
}

// TestChatContextOverflow: once the conversation leaves too little room
// for an answer, the oldest exchanges go, the system turn stays and a
// notice says so.
func TestChatContextOverflow(t *testing.T) {
	c := tinyChatCheckpoint(t)
	system := "Be brief."
	turns, res := chatTurns(t, c.dir, strings.Repeat("hello\nbye\n", 4), "--system", system, "--max-new-tokens", "48")
	sysIDs := c.tok.NewEncoder().EncodeWithSpecial(nil, []byte(chat.TokenIMStart+"system\n"+system+chat.TokenIMEnd+"\n"))
	dropped := 0
	for _, turn := range turns {
		if len(turn.PromptIDs)+48 > 128 {
			t.Errorf("turn %d: %d prompt ids leave no room for 48 more in 128", turn.Turn, len(turn.PromptIDs))
		}
		if !slices.Equal(turn.PromptIDs[:len(sysIDs)], sysIDs) {
			t.Errorf("turn %d: prompt does not start with the system turn", turn.Turn)
		}
		dropped += turn.DroppedTurns
	}
	if dropped == 0 || !strings.Contains(res.stderr, "dropped the oldest") {
		t.Fatalf("no turn was dropped in %d turns; stderr %q", len(turns), res.stderr)
	}
	// A message longer than the context: it is sent, with a notice.
	turns, res = chatTurns(t, c.dir, strings.Repeat("hello ", 150)+"\n", "--max-new-tokens", "4")
	if len(turns) != 1 || len(turns[0].PromptIDs) <= 128 || !strings.Contains(res.stderr, "the answer sees only the last ones") {
		t.Fatalf("long message: %d turns; stderr %q", len(turns), res.stderr)
	}
}

// TestChatTemplateChoice: a checkpoint without a chat template falls back
// to plain with a notice; --template overrides; a bad name is a usage error.
func TestChatTemplateChoice(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	writeTinyCheckpoint(t, ckpt)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"fallback", nil, 0, `has no chat template; using "plain"`},
		{"chatml", []string{"--template", "chatml"}, 0, `the tokenizer has no token "<|im_start|>"`},
		{"unknown", []string{"--template", "llama"}, exitUsage, `chat template "llama" is not one of chatml, plain`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"chat", "--checkpoint", ckpt, "--max-new-tokens", "3", "--json"}, tc.args...)
			res := llmflowInput(t, dir, "the small\n", args...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", res.code, res.stderr, tc.code, tc.stderr)
			}
		})
	}
}

// osMkdirTemp makes the shared checkpoint's directory; TestMain's cleanup
// of the binary's directory does not cover it, so it lives under that.
func osMkdirTemp() (string, error) { return os.MkdirTemp(filepath.Dir(binary), "chat-ckpt-") }

func TestTerminalWriter(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain 文字\n\tok", "plain 文字\n\tok"},
		{"\x1b]0;title\x07x", "\uFFFD]0;title\uFFFDx"},
		{"a\rb\x7f\u009bc", "a\uFFFDb\uFFFD\uFFFDc"},
	} {
		var b strings.Builder
		n, err := terminalWriter{&b}.Write([]byte(tc.in))
		if err != nil || n != len(tc.in) || b.String() != tc.want {
			t.Errorf("%q: wrote %q (%d, %v), want %q", tc.in, b.String(), n, err, tc.want)
		}
	}
}
