package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

// chatFlags are the settings of `llmflow chat`.
type chatFlags struct {
	checkpointFlags
	samplingFlags
	template string
	system   string
	maxNew   int
	json     bool
}

var chFlags chatFlags

var chatCmd = &cobra.Command{
	Use:   "chat --checkpoint DIR|DIGEST|NODE",
	Short: "Chat with an instruction-tuned checkpoint",
	Long: `Chat holds a conversation with a checkpoint (named as for generate). Every
turn sends the whole conversation, rendered with the checkpoint's chat template
(from its tokenizer_config.json; without one, plain unless --template says
otherwise). Answers stream as they are sampled and end at an end-of-turn id
(generation_config.json's eos_token_id) or after --max-new-tokens. When the
conversation outgrows the model's context, the oldest turns are dropped.

On a terminal, type a message and Enter. Commands: /reset forgets the
conversation, /system TEXT sets the system turn (empty: none), /exit or Ctrl-D
leaves. Ctrl-C stops an answer; at the prompt it leaves.

When standard input is not a terminal, each line is one user message (or a
command) and each answer is printed after it (an answer may hold newlines);
with --json, one JSON object per turn: turn, user, assistant, stop (eos, max_new_tokens,
interrupted), prompt_ids, ids, dropped_turns.`,
	Args: cobra.NoArgs,
	RunE: func(cmd *cobra.Command, _ []string) error { return runChat(cmd, chFlags) },
}

func init() {
	f := chatCmd.Flags()
	chFlags.checkpointFlags.add(chatCmd)
	f.StringVar(&chFlags.template, "template", "", "chat template to use instead of the checkpoint's: "+strings.Join(chat.Builtins(), " or "))
	f.StringVar(&chFlags.system, "system", "", "system turn that starts the conversation")
	f.IntVar(&chFlags.maxNew, "max-new-tokens", 256, "tokens to generate per answer at most")
	chFlags.samplingFlags.add(chatCmd)
	f.BoolVar(&chFlags.json, "json", false, "print one JSON object per turn instead of the answer text")
	rootCmd.AddCommand(chatCmd)
}

func runChat(cmd *cobra.Command, f chatFlags) error {
	if f.maxNew < 1 {
		return fmt.Errorf("%w: --max-new-tokens must be at least 1", errUsage)
	}
	m, tok, dir, err := f.load(cmd.Context())
	if err != nil {
		return err
	}
	errw := cmd.ErrOrStderr()
	notice := func(format string, args ...any) { fmt.Fprintf(errw, "notice: "+format+"\n", args...) }
	tmpl, err := chatTemplate(dir, f.template, tok, notice)
	if err != nil {
		return err
	}
	stops, err := stopIDs(dir, tmpl, tok)
	if err != nil {
		return err
	}
	s := &chatSession{
		m: m, tok: tok, enc: tok.NewEncoder(), tmpl: tmpl, stops: stops, maxNew: f.maxNew, notice: notice,
		sampler: f.sampler(tok, 0),
	}
	if err := s.setSystem(f.system); err != nil {
		return err
	}
	in := cmd.InOrStdin()
	if isTerminal(in) && !f.json {
		return chatTerminal(cmd, s, in)
	}
	return chatLines(cmd, s, in, f.json)
}

// chatTemplate is the template named by --template, else the checkpoint's,
// else plain. It notes special tokens the tokenizer lacks: they are then
// encoded as text, which no model trained with the template has seen.
func chatTemplate(dir, name string, tok *tokenizer.Tokenizer, notice func(string, ...any)) (*chat.Template, error) {
	var tmpl *chat.Template
	var err error
	switch {
	case name != "":
		if tmpl, err = chat.Builtin(name); err != nil {
			return nil, fmt.Errorf("%w: --template: %v", errUsage, err)
		}
	default:
		tmpl, err = chat.ReadHFTemplate(dir)
		if errors.Is(err, chat.ErrNoTemplate) {
			notice("checkpoint %s has no chat template; using %q (choose one with --template)", dir, chat.Plain)
			tmpl, err = chat.Builtin(chat.Plain)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, t := range tmpl.SpecialTokens() {
		if _, ok := tok.SpecialID(t); !ok {
			notice("the tokenizer has no token %q of chat template %s: it is encoded as plain text", t, tmpl.Name())
		}
	}
	return tmpl, nil
}

// stopIDs are the ids that end an answer: generation_config.json's eos ids,
// the template's end of turn and <|endoftext|>, where the tokenizer has them.
func stopIDs(dir string, tmpl *chat.Template, tok *tokenizer.Tokenizer) ([]int32, error) {
	ids, err := chat.ReadEOSIDs(dir)
	if err != nil {
		return nil, err
	}
	for _, t := range []string{tmpl.EndOfTurn(), chat.TokenEndOfText} {
		if id, ok := tok.SpecialID(t); ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// setSystem sets the system turn; a template without one refuses it.
func (s *chatSession) setSystem(text string) error {
	if _, ok := s.tmpl.Turn(chat.RoleSystem); text != "" && !ok {
		return fmt.Errorf("chat template %s has no system turn", s.tmpl.Name())
	}
	s.system = text
	return nil
}

const chatHelp = "commands: /reset, /system TEXT, /exit"

// command runs a chat command line; quit reports /exit.
func (s *chatSession) command(line string) (quit bool, msg string) {
	name, arg, _ := strings.Cut(line, " ")
	switch name {
	case "/exit", "/quit":
		return true, ""
	case "/reset":
		s.reset()
		return false, "conversation reset"
	case "/system":
		if err := s.setSystem(strings.TrimSpace(arg)); err != nil {
			return false, err.Error()
		}
		return false, "system turn set"
	}
	return false, fmt.Sprintf("unknown command %s; %s", name, chatHelp)
}

// chatLines is the non-interactive chat: one message or command per line
// of in, answers (or JSON turns) on standard output.
func chatLines(cmd *cobra.Command, s *chatSession, in io.Reader, asJSON bool) error {
	out := cmd.OutOrStdout()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	r := bufio.NewReader(in)
	for n := 1; ; {
		line, err := readLine(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "/"):
			quit, msg := s.command(line)
			if quit {
				return nil
			}
			s.notice("%s", msg)
			continue
		}
		answer := out
		if asJSON {
			answer = io.Discard
		}
		turn, err := s.reply(answer, line, func() bool { return false })
		if err != nil {
			return err
		}
		turn.Turn = n
		n++
		if asJSON {
			if err := enc.Encode(turn); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(out)
		}
	}
}

// readLine returns the next line of r without its line ending, as valid
// UTF-8; io.EOF once r is exhausted.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	return strings.ToValidUTF8(line, "\uFFFD"), nil
}
