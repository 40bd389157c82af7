package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/llmflow/llmflow/artifact"
)

// JobWatcher is implemented by a JobRunner that can tell whether the job
// it last submitted for a job directory may still be queued or running.
type JobWatcher interface {
	// Active reports whether that job may not have ended yet; false when
	// the directory holds no submission of this runner.
	Active(ctx context.Context, dir string) (bool, error)
}

// JobGCOptions select which job directories CollectJobs removes.
type JobGCOptions struct {
	// Keep reports whether the directory of a node cache key is evidence
	// still wanted: a failed job's logs, while its run is recorded.
	Keep func(key string) bool
	// Watchers are asked about every other directory: one whose job may
	// still be queued or running is kept, and so is one they cannot tell.
	Watchers []JobWatcher
	DryRun   bool
}

// CollectJobs removes the job directories of the store that opt does not
// keep. A directory a watcher cannot tell about is kept and named in the
// returned notes.
func CollectJobs(ctx context.Context, s *artifact.Store, opt JobGCOptions) (removed []artifact.Removed, notes []string, err error) {
	root := filepath.Join(s.Dir(), "jobs")
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	for _, e := range ents {
		dir := filepath.Join(root, e.Name())
		if !e.IsDir() || (opt.Keep != nil && opt.Keep(e.Name())) {
			continue
		}
		active, err := jobActive(ctx, dir, opt.Watchers)
		if err != nil {
			notes = append(notes, fmt.Sprintf("kept %s: cannot tell whether its job still runs: %v", dir, err))
			continue
		}
		if active {
			continue
		}
		removed = append(removed, artifact.Removed{Path: dir, What: "job directory", Bytes: artifact.DiskBytes(dir)})
		if !opt.DryRun {
			if err := os.RemoveAll(dir); err != nil {
				return removed, notes, err
			}
		}
	}
	return removed, notes, nil
}

// jobActive asks the watchers about dir and, for a sharded node, about
// its merge job's directory.
func jobActive(ctx context.Context, dir string, watchers []JobWatcher) (bool, error) {
	for _, d := range []string{dir, filepath.Join(dir, "merge")} {
		for _, w := range watchers {
			if active, err := w.Active(ctx, d); err != nil || active {
				return active, err
			}
		}
	}
	return false, nil
}
