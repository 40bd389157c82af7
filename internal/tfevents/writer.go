package tfevents

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// FileVersion is the version string of the event files TensorBoard reads.
const FileVersion = "brain.Event:2"

// Writer appends scalar events to one event file. It is safe for
// concurrent use. Records are buffered; Flush or Close writes them.
type Writer struct {
	mu  sync.Mutex
	f   *os.File
	w   *bufio.Writer
	buf []byte
	now func() time.Time
}

// Create makes dir and a new event file in it, named as TensorFlow names
// them (events.out.tfevents.<unix seconds>.<host>.<pid>), and writes the
// file-version event that starts every event file.
func Create(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	now := time.Now()
	name := fmt.Sprintf("events.out.tfevents.%d.%s.%d", now.Unix(), host, os.Getpid())
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	w := &Writer{f: f, w: bufio.NewWriter(f), now: time.Now}
	if err := w.write(Event{WallTime: wallTime(now), FileVersion: FileVersion}); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Name returns the event file's path.
func (w *Writer) Name() string { return w.f.Name() }

// Scalar records value as the tag's point at step, stamped with the time now.
func (w *Writer) Scalar(tag string, step int64, value float64) error {
	return w.write(Event{WallTime: wallTime(w.now()), Step: step, Values: []Value{{Tag: tag, Value: float32(value)}}})
}

func (w *Writer) write(e Event) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = appendRecord(w.buf[:0], e.marshal())
	_, err := w.w.Write(w.buf)
	return err
}

// Flush writes buffered events to the file, so TensorBoard sees them while
// training goes on.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Flush()
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	err := w.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func wallTime(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
