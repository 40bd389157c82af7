package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/llmflow/llmflow/artifact"
)

// Formats of prep inputs and outputs.
const (
	fmtJSONL   = "JSONL"
	fmtArrow   = "an Arrow IPC file"
	fmtDataset = "a dataset directory"
)

// prepFormat tells the format of a prep path from its extension (or, for
// an existing input, from being a directory).
func prepFormat(path string, input bool) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		return fmtJSONL, nil
	case ".arrow", ".ipc", ".feather":
		return fmtArrow, nil
	case "":
		if input {
			if st, err := os.Stat(path); err != nil || !st.IsDir() {
				return "", fmt.Errorf("%w: --in %s: not a .jsonl or .arrow file nor a dataset directory", errUsage, path)
			}
		}
		return fmtDataset, nil
	}
	return "", fmt.Errorf("%w: %s: unknown extension (want .jsonl, .arrow, or a directory for a dataset)", errUsage, path)
}

// tempPathError is an error whose message names the user's output path
// where the underlying error names the temporary file written first.
type tempPathError struct {
	msg string
	err error
}

func (e *tempPathError) Error() string { return e.msg }
func (e *tempPathError) Unwrap() error { return e.err }

// userPath rewrites err to name final instead of the temporary tmp: the
// user never sees the temporary names, which are gone after the command.
func userPath(err error, tmp, final string) error {
	if err == nil || tmp == "" {
		return err
	}
	var le *os.LinkError
	if errors.As(err, &le) && (le.Old == tmp || strings.HasPrefix(le.Old, tmp+string(filepath.Separator))) {
		return &tempPathError{fmt.Sprintf("cannot write %s: %v", final, le.Err), err}
	}
	msg := strings.ReplaceAll(err.Error(), tmp, final)
	if msg == err.Error() {
		return err
	}
	return &tempPathError{msg, err}
}

// cannotWrite reports that creating the temporary file or directory for
// final failed, naming final rather than the temporary name.
func cannotWrite(final string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("cannot write %s: %w", final, err)
}

// withJSONL opens in and temporary outputs next to out (and rejects), runs
// fn and renames the outputs into place only when fn succeeds. Errors name
// in, out and rejects, never the temporary files.
func withJSONL(in, out, rejects string, fn func(r io.Reader, w, rej io.Writer) error) (err error) {
	rf, err := os.Open(in)
	if err != nil {
		return err
	}
	defer rf.Close()
	type target struct {
		final string
		f     *os.File
		bw    *bufio.Writer
	}
	var targets []*target
	defer func() {
		for _, t := range targets {
			if t.f != nil {
				err = userPath(err, t.f.Name(), t.final)
				t.f.Close()
				os.Remove(t.f.Name())
			}
		}
	}()
	open := func(final string) (*target, error) {
		if final == "" {
			return nil, nil
		}
		f, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp-*")
		if err != nil {
			return nil, cannotWrite(final, err)
		}
		t := &target{final: final, f: f, bw: bufio.NewWriterSize(f, 1<<20)}
		targets = append(targets, t)
		return t, nil
	}
	wt, err := open(out)
	if err != nil {
		return err
	}
	rt, err := open(rejects)
	if err != nil {
		return err
	}
	var rej io.Writer
	if rt != nil {
		rej = rt.bw
	}
	if err := fn(rf, wt.bw, rej); err != nil {
		return err
	}
	for _, t := range targets {
		if err := t.bw.Flush(); err != nil {
			return err
		}
		// CreateTemp makes the file 0600; the output is the user's file,
		// readable like any other they write.
		if err := t.f.Chmod(0o644); err != nil {
			return err
		}
		if err := t.f.Close(); err != nil {
			return err
		}
		if err := os.Rename(t.f.Name(), t.final); err != nil {
			return err
		}
		t.f = nil
	}
	return nil
}

// arrowIO is what a node's Run needs for Arrow prep.
type arrowIO struct {
	in      *artifact.Dataset
	out     *artifact.DatasetWriter
	rejects *artifact.DatasetWriter
}

func sameSchema(s *arrow.Schema) *arrow.Schema { return s }

// withArrow opens the input (a dataset directory, or a single .arrow file
// seen as a one-shard dataset), creates writers into temporary directories
// and, when fn succeeds, moves the results to out and rejects: a directory
// stays a dataset directory, a .arrow name receives the single shard.
// Errors name in, out and rejects, never the temporary directories.
func withArrow(in, out, rejects string, outSchema, rejSchema func(*arrow.Schema) *arrow.Schema, fn func(*arrowIO) error) (err error) {
	tmps := map[string]string{} // temporary directory -> the user's path
	defer func() {
		for d, final := range tmps {
			err = userPath(err, d, final)
			os.RemoveAll(d)
		}
	}()
	st, err := os.Stat(in)
	if err != nil {
		return err
	}
	var ds *artifact.Dataset
	if st.IsDir() {
		ds, err = artifact.OpenDataset(in)
	} else {
		ds, err = artifact.OpenIPCFile(in)
	}
	if err != nil {
		return err
	}
	open := func(final string, schema *arrow.Schema) (*artifact.DatasetWriter, string, error) {
		if final == "" {
			return nil, "", nil
		}
		if _, err := os.Stat(final); err == nil {
			return nil, "", fmt.Errorf("%s already exists", final)
		}
		d, err := os.MkdirTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp-*")
		if err != nil {
			return nil, "", cannotWrite(final, err)
		}
		tmps[d] = final
		w, err := artifact.NewDatasetWriter(d, schema, artifact.WithShardRows(math.MaxInt64/2))
		return w, d, err
	}
	aio := &arrowIO{in: ds}
	outTmp, rejTmp := "", ""
	if aio.out, outTmp, err = open(out, outSchema(ds.Schema())); err != nil {
		return err
	}
	if rejects != "" {
		if aio.rejects, rejTmp, err = open(rejects, rejSchema(ds.Schema())); err != nil {
			return err
		}
	}
	if err := fn(aio); err != nil {
		aio.out.Abort()
		if aio.rejects != nil {
			aio.rejects.Abort()
		}
		return err
	}
	if err := finishArrow(aio.out, outTmp, out); err != nil {
		return err
	}
	if aio.rejects != nil {
		return finishArrow(aio.rejects, rejTmp, rejects)
	}
	return nil
}

// finishArrow closes w (writing into tmp) and moves the result to final.
func finishArrow(w *artifact.DatasetWriter, tmp, final string) error {
	if err := w.Close(); err != nil {
		return err
	}
	if strings.ToLower(filepath.Ext(final)) == "" {
		return os.Rename(tmp, final)
	}
	shard := filepath.Join(tmp, "part-00000.arrow")
	if _, err := os.Stat(shard); err != nil {
		// No rows were written: produce an empty IPC file with the schema.
		f, err := os.Create(shard)
		if err != nil {
			return err
		}
		fw, err := ipc.NewFileWriter(f, ipc.WithSchema(w.Schema()), ipc.WithAllocator(memory.DefaultAllocator))
		if err == nil {
			err = fw.Close()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return os.Rename(shard, final)
}
