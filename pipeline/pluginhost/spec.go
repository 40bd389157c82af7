package pluginhost

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// SourceBuiltin is the PluginSpec.Source of stages compiled into llmflow.
const SourceBuiltin = "builtin"

// PluginSpec says which plugin to start.
type PluginSpec struct {
	// Name is the plugin's name in the pipeline; for a built-in source it is
	// also the built-in stage served.
	Name string
	// Source is SourceBuiltin or a path to a plugin binary; a relative path
	// is taken relative to Dir.
	Source string
	// Checksum pins an external binary as "sha256:<hex>"; empty means
	// unpinned. A mismatch is refused before the binary is started.
	Checksum string
	// Env lists extra environment variable names the plugin may see.
	Env []string
	// Dir is the directory relative sources are resolved against
	// (normally the pipeline file's directory); empty means the working
	// directory.
	Dir string
}

// IsBuiltin reports whether the spec names a built-in stage.
func (s PluginSpec) IsBuiltin() bool { return s.Source == SourceBuiltin || s.Source == "" }

// resolved is a spec turned into a command.
type resolved struct {
	path string
	args []string
	sum  string // "sha256:<hex>" of path
}

// Resolve returns the absolute path of the binary that serves spec.
func (h *Host) Resolve(spec PluginSpec) (string, error) {
	r, err := h.resolve(spec)
	if err != nil {
		return "", err
	}
	return r.path, nil
}

// Checksum returns the "sha256:<hex>" of the binary that serves spec, as a
// lock file would pin it.
func (h *Host) Checksum(spec PluginSpec) (string, error) {
	r, err := h.resolve(spec)
	if err != nil {
		return "", err
	}
	return r.sum, nil
}

func (h *Host) resolve(spec PluginSpec) (*resolved, error) {
	r := &resolved{}
	var err error
	if spec.IsBuiltin() {
		if r.path, r.args, err = h.builtinCommand(spec.Name); err != nil {
			return nil, h.errorf(spec, "start", KindNotFound, "cannot locate the llmflow binary to serve a built-in stage: %v", err)
		}
	} else {
		r.path = spec.Source
		if !filepath.IsAbs(r.path) {
			r.path = filepath.Join(spec.Dir, r.path)
		}
		if r.path, err = filepath.Abs(r.path); err != nil {
			return nil, h.errorf(spec, "start", KindNotFound, "%v", err)
		}
	}
	fi, err := os.Stat(r.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, h.errorf(spec, "start", KindNotFound, "binary %s does not exist", r.path)
	case err != nil:
		return nil, h.errorf(spec, "start", KindNotFound, "%v", err)
	case fi.IsDir():
		return nil, h.errorf(spec, "start", KindNotFound, "%s is a directory, not a plugin binary", r.path)
	}
	// Always hashed: the sum is part of the node's identity and cache key.
	if r.sum, err = h.sums.get(r.path); err != nil {
		return nil, h.errorf(spec, "start", KindNotFound, "%v", err)
	}
	return r, nil
}

func (h *Host) errorf(spec PluginSpec, op string, kind Kind, format string, args ...any) *Error {
	return &Error{Plugin: spec.Name, Op: op, Kind: kind, Err: fmt.Errorf(format, args...)}
}
