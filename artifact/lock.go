package artifact

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// storeLockName is the store lock's file, at the store's root.
const storeLockName = "store.lock"

// Lock is an exclusive advisory lock (flock) held through a lock file. The
// kernel drops it when the holding process dies however it dies, so a lock
// file nobody holds marks work that no live process owns: that is how
// staging left by a killed run is told from staging in use. A Lock is used
// by one goroutine.
type Lock struct {
	f    *os.File
	path string
}

// LockedError is returned (wrapped) when another process holds a lock.
type LockedError struct {
	Path   string
	Holder string // what the holder wrote into the lock file, e.g. "run 2026… (pid 42)"
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s is locked by %s", e.Path, e.Holder)
}

// TryLock takes the lock at path without waiting, creating the file, and
// writes owner into it so that others can say who holds it. It returns a
// *LockedError when another process holds the lock.
func TryLock(path, owner string) (*Lock, error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		if busy, err := flockExclusive(f); err != nil || busy {
			holder := readHolder(f)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
			return nil, &LockedError{Path: path, Holder: holder}
		}
		// Unlock removes the file while holding it: a lock taken on a file
		// that is no longer at path protects nothing, so start again.
		fi, err1 := f.Stat()
		cur, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(fi, cur) {
			f.Close()
			continue
		}
		if err := f.Truncate(0); err == nil {
			f.WriteAt([]byte(owner), 0)
		}
		return &Lock{f: f, path: path}, nil
	}
}

// lockPoll is how often LockWait tries again: flock has no timeout, and a
// blocked flock could not honour the context.
const lockPoll = 100 * time.Millisecond

// LockWait takes the lock at path, waiting while another process holds it.
// onWait, when not nil, is called once with the holder's description when
// it has to wait. It returns ctx's error when ctx ends first.
func LockWait(ctx context.Context, path, owner string, onWait func(holder string)) (*Lock, error) {
	for waited := false; ; waited = true {
		l, err := TryLock(path, owner)
		var le *LockedError
		if !errors.As(err, &le) {
			return l, err
		}
		if !waited && onWait != nil {
			onWait(le.Holder)
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(lockPoll):
		}
	}
}

// Unlock removes the lock file and releases the lock. Calling it again does
// nothing.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := os.Remove(l.path)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// readHolder returns what the holder of f wrote into it.
func readHolder(f *os.File) string {
	buf := make([]byte, 256)
	n, _ := f.ReadAt(buf, 0)
	if s := strings.TrimSpace(string(buf[:n])); s != "" {
		return s
	}
	// The holder has not written its name yet, or predates owner records.
	return "another process"
}

// processOwner describes the calling process for lock files.
func processOwner() string { return fmt.Sprintf("pid %d", os.Getpid()) }

// StoreLock is a lock on a whole store: runs hold it shared for their
// lifetime, garbage collection exclusively, so collection never removes
// an artifact that a live run has committed but not yet recorded.
type StoreLock struct{ f *os.File }

func (s *Store) openStoreLock() (*os.File, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(s.dir, storeLockName), os.O_RDWR|os.O_CREATE, 0o644)
}

// Share takes the store lock shared, waiting while a collection runs.
func (s *Store) Share() (*StoreLock, error) {
	f, err := s.openStoreLock()
	if err != nil {
		return nil, err
	}
	if err := flockShared(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock store %s: %w", s.dir, err)
	}
	return &StoreLock{f: f}, nil
}

// TryExclusive takes the store lock exclusively without waiting; it
// returns a *LockedError while any run holds the store.
func (s *Store) TryExclusive() (*StoreLock, error) {
	f, err := s.openStoreLock()
	if err != nil {
		return nil, err
	}
	if busy, err := flockExclusive(f); err != nil || busy {
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("lock store %s: %w", s.dir, err)
		}
		return nil, &LockedError{Path: f.Name(), Holder: "a running llmflow"}
	}
	return &StoreLock{f: f}, nil
}

// Release drops the store lock; the lock file stays for the next user.
func (l *StoreLock) Release() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
