package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// chatTerminal is the interactive chat. The terminal edits the line; a
// goroutine reads lines so that Ctrl-C can be told apart at the prompt
// (leave) and while an answer streams (stop it).
func chatTerminal(cmd *cobra.Command, s *chatSession, in io.Reader) error {
	out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	lines := make(chan string)
	go func() {
		defer close(lines)
		r := bufio.NewReader(in)
		for {
			line, err := readLine(r)
			if err != nil {
				return
			}
			lines <- line
		}
	}()
	fmt.Fprintf(errw, "Chat template %s. %s; Ctrl-C stops an answer, Ctrl-D leaves.\n", s.tmpl.Name(), chatHelp)
	for {
		fmt.Fprint(out, "> ")
		var line string
		select {
		case l, ok := <-lines:
			if !ok { // Ctrl-D
				fmt.Fprintln(out)
				return nil
			}
			line = strings.TrimSpace(l)
		case <-sigs:
			fmt.Fprintln(out)
			return nil
		}
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "/"):
			quit, msg := s.command(line)
			if quit {
				return nil
			}
			fmt.Fprintln(errw, msg)
			continue
		}
		var stop atomic.Bool
		done := make(chan struct{})
		go func() {
			select {
			case <-sigs:
				stop.Store(true)
			case <-done:
			}
		}()
		turn, err := s.reply(terminalWriter{out}, line, stop.Load)
		close(done)
		if err != nil {
			return err
		}
		if turn.Stop == stopInterrupted {
			fmt.Fprint(out, " [stopped]")
		}
		fmt.Fprintln(out)
	}
}

// terminalWriter passes text on with control characters other than
// newline and tab replaced by U+FFFD: sampled text must not move the
// cursor, clear the screen or retitle the terminal. Writes must hold whole
// UTF-8 characters, as StreamDecoder's pieces do.
type terminalWriter struct{ w io.Writer }

func (t terminalWriter) Write(p []byte) (int, error) {
	_, err := io.WriteString(t.w, strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r < 0xa0) {
			return utf8.RuneError
		}
		return r
	}, string(p)))
	return len(p), err
}
