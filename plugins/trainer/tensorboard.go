package trainer

import (
	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/internal/tfevents"
	"github.com/llmflow/llmflow/plugins/sdk"
)

// TensorBoardDirName is the output directory (under outDir) of the event
// files. Every process that trains the node adds a file to it, so a resumed
// run's events follow the interrupted one's.
const TensorBoardDirName = "tensorboard"

// TensorBoardPort is the optional output a training stage declares for its
// event files; EmitTensorBoard reports it.
var TensorBoardPort = sdk.Port{Name: "tensorboard", Kind: artifact.KindTensorBoard, Optional: true,
	Doc: "With tensorboard = true: TensorBoard event files of the stage's metrics (tensorboard --logdir DIR)."}

// EmitTensorBoard reports res's event files as the "tensorboard" output
// when the run wrote them.
func EmitTensorBoard(ev sdk.Events, res *Result) {
	if res != nil && res.TensorBoardDir != "" {
		ev.Output(TensorBoardPort.Name, res.TensorBoardDir, artifact.KindTensorBoard)
	}
}

// tensorBoardEvents passes events on and writes every metric to an event
// file too. The file is flushed after each point: metrics come every
// log_every steps, and TensorBoard can then follow a run as it goes.
type tensorBoardEvents struct {
	Events
	w   *tfevents.Writer
	err error
}

func newTensorBoardEvents(ev Events, dir string) (*tensorBoardEvents, error) {
	w, err := tfevents.Create(dir)
	if err != nil {
		return nil, err
	}
	return &tensorBoardEvents{Events: ev, w: w}, nil
}

// Metric implements Events. A failed write is logged once and does not stop
// training: the event file is a copy of what the run store records.
func (t *tensorBoardEvents) Metric(step int64, name string, value float64) {
	t.Events.Metric(step, name, value)
	if t.err != nil {
		return
	}
	if err := t.w.Scalar(name, step, value); err != nil {
		t.fail(err)
		return
	}
	if err := t.w.Flush(); err != nil {
		t.fail(err)
	}
}

func (t *tensorBoardEvents) fail(err error) {
	t.err = err
	t.Events.Log("tensorboard: " + err.Error() + "; no more events are written")
}

func (t *tensorBoardEvents) close() {
	if err := t.w.Close(); err != nil && t.err == nil {
		t.Events.Log("tensorboard: " + err.Error())
	}
}
