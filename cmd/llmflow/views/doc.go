// Package views renders engine events for people and programs: a progress
// bar view for terminals, plain lines when output is not a terminal, and
// JSON lines for --json. Each view implements pipeline.Hook.
package views

import (
	"io"

	"github.com/llmflow/llmflow/pipeline"
)

// View is a pipeline.Hook that must be closed once the run has finished so
// it can flush and stop any rendering goroutine.
type View interface {
	pipeline.Hook
	Close()
}

// New picks a view: JSON lines when asJSON, progress bars on a terminal,
// plain lines otherwise.
func New(w io.Writer, asJSON, terminal bool) View {
	switch {
	case asJSON:
		return NewJSON(w)
	case terminal:
		return NewHuman(w)
	}
	return NewPlain(w)
}
