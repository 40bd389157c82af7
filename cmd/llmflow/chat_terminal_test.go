package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/internal/testenv"
	"github.com/llmflow/llmflow/model"
)

// tmuxPane runs a command in a detached tmux session of its own server, so
// a test sees the terminal as a person does.
type tmuxPane struct {
	t    *testing.T
	tmux string
	sock string
}

func newTmuxPane(t *testing.T, command string) *tmuxPane {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		testenv.SkipOrFail(t, "tmux is not installed (apt-get install tmux): %v", err)
	}
	p := &tmuxPane{t: t, tmux: tmux, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	// The shell stays after the command so its exit status can be read.
	p.run("new-session", "-d", "-x", "120", "-y", "40", command+`; echo "[exit $?]"; sleep 600`)
	t.Cleanup(func() { p.run("kill-server") })
	return p
}

func (p *tmuxPane) run(args ...string) string {
	p.t.Helper()
	cmd := exec.Command(p.tmux, append([]string{"-S", p.sock}, args...)...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil && args[0] != "kill-server" {
		p.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// keys types keys into the pane (tmux key names such as Enter, C-c).
func (p *tmuxPane) keys(keys ...string) { p.run(append([]string{"send-keys", "-t", "0"}, keys...)...) }

// screen is the pane's text; tmux drops trailing spaces, so the prompt
// "> " reads ">" at the end of a line.
func (p *tmuxPane) screen() string {
	return strings.TrimRight(p.run("capture-pane", "-p", "-J", "-t", "0"), "\n ")
}

// waitFor polls the screen until re matches it and returns the screen.
func (p *tmuxPane) waitFor(re string) string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := p.screen()
		if rx.MatchString(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the terminal never showed %s; it shows:\n%s", re, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestChatTerminal chats in a real terminal: the prompt, the typed message
// echoed, the streamed answer (Chinese included), the next prompt, /exit.
func TestChatTerminal(t *testing.T) {
	c := tinyChatCheckpoint(t)
	p := newTmuxPane(t, binary+" chat --temperature 0 --checkpoint "+c.dir)
	p.waitFor(`(?m)^>$`)
	p.keys("hello", "Enter")
	p.waitFor(`(?m)^> hello\nhi there\n>$`)
	p.keys("bye", "Enter")
	p.waitFor(`(?m)^> bye\nsee you 再见\n>$`)
	p.keys("/exit", "Enter")
	s := p.waitFor(`\[exit \d+\]`)
	if !strings.Contains(s, "> /exit\n[exit 0]") {
		t.Fatalf("after /exit:\n%s", s)
	}
	t.Logf("terminal:\n%s", s)
}

// TestChatTerminalInterrupt: Ctrl-C while an answer streams stops that
// answer and keeps the chat; Ctrl-C at the prompt leaves it.
func TestChatTerminalInterrupt(t *testing.T) {
	// A random model whose tokenizer has no special token never stops by
	// itself, so the answer is still streaming when Ctrl-C comes.
	dir := t.TempDir()
	tok, err := tokenizer.Train(context.Background(), [][]byte{[]byte("the small model reads the small text")}, tokenizer.Config{VocabSize: 270, MinFrequency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Save(filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), NPositions: 32, NLayer: 1, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(1)
	ckpt := filepath.Join(dir, "ckpt")
	if err := model.SaveCheckpoint(ckpt, m, filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	p := newTmuxPane(t, binary+" chat --template plain --max-new-tokens 100000000 --checkpoint "+ckpt)
	p.waitFor(`(?m)^>$`)
	p.keys("go on", "Enter")
	p.waitFor(`> go on\n(.|\n){200}`) // a good part of an answer has streamed
	p.keys("C-c")
	p.waitFor(`\[stopped\]\n>$`)
	p.keys("C-c")
	s := p.waitFor(`\[stopped\]\n> ?(\^C)?\n\[exit 0\]`)
	t.Logf("terminal:\n%s", s)
}

// TestChatTerminalEOF: Ctrl-D at the prompt leaves the chat.
func TestChatTerminalEOF(t *testing.T) {
	c := tinyChatCheckpoint(t)
	p := newTmuxPane(t, binary+" chat --checkpoint "+c.dir)
	p.waitFor(`(?m)^>$`)
	p.keys("C-d")
	p.waitFor(`(?m)^>\s*\n\[exit 0\]`)
}
