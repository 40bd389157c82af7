package artifact

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Store is a content-addressed artifact store rooted at a directory. Its
// methods are safe for concurrent use by goroutines and by several processes
// sharing the directory.
type Store struct {
	dir string
}

// OpenStore returns the store rooted at dir. It creates nothing: the
// directories appear with the first write, so plan and validate, which only
// read, leave no trace. An existing non-directory at dir is an error.
func OpenStore(dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("artifact store: empty directory name")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("artifact store %s: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case err == nil && !fi.IsDir():
		return nil, fmt.Errorf("artifact store %s: not a directory", abs)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("artifact store %s: %w", abs, err)
	}
	return &Store{dir: abs}, nil
}

// Dir returns the store's absolute root directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) objectsDir() string { return filepath.Join(s.dir, "objects", "sha256") }
func (s *Store) tmpDir() string     { return filepath.Join(s.dir, "tmp") }
func (s *Store) nodesDir() string   { return filepath.Join(s.dir, "nodes") }

// Path returns the directory of the artifact with the given digest, whether
// or not it is committed. It returns "" for a malformed digest.
func (s *Store) Path(digest string) string {
	h, err := ParseDigest(digest)
	if err != nil {
		return ""
	}
	return filepath.Join(s.objectsDir(), h)
}

// Has reports whether the artifact with the given digest is committed.
func (s *Store) Has(digest string) bool {
	p := s.Path(digest)
	if p == "" {
		return false
	}
	// The manifest is written before the directory is renamed into place,
	// so its presence means the whole artifact is there.
	fi, err := os.Stat(filepath.Join(p, ManifestName))
	return err == nil && fi.Mode().IsRegular()
}

// Manifest returns the manifest of a committed artifact.
func (s *Store) Manifest(digest string) (*Manifest, error) {
	p := s.Path(digest)
	if p == "" {
		_, err := ParseDigest(digest)
		return nil, err
	}
	m, err := readManifest(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("artifact %s is not in store %s", digest, s.dir)
		}
		return nil, err
	}
	if m.Digest != digest {
		return nil, fmt.Errorf("%s: manifest digest %s does not match its directory", p, m.Digest)
	}
	return m, nil
}

// ImportDir brings the regular files under dir into a new artifact of the
// given kind and commits it; dir is left as it was. Files of a dir inside
// the store's tmp directory (say, a plugin's output directory made there)
// are hard-linked rather than copied, so large outputs cost no copy; the
// caller must not modify them afterwards. A top-level manifest.json in dir
// is an error.
func (s *Store) ImportDir(kind, dir string) (*Manifest, error) {
	st, err := s.NewStaging(kind)
	if err != nil {
		return nil, err
	}
	if err := copyTree(dir, st.Dir(), s.insideTmp(dir)); err != nil {
		st.Abort()
		return nil, fmt.Errorf("import %s: %w", dir, err)
	}
	m, err := st.Commit()
	if err != nil {
		st.Abort()
		return nil, err
	}
	return m, nil
}

// insideTmp reports whether dir lies strictly inside <store>/tmp.
func (s *Store) insideTmp(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(s.tmpDir(), abs)
	return err == nil && rel != "." && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel)
}

// copyTree copies (or, with link set, hard-links where it can) the
// directories and regular files under src into dst, which exists. Symlinks
// and special files are errors.
func copyTree(src, dst string, link bool) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			if rel == "." {
				return nil
			}
			return os.Mkdir(target, 0o755)
		case d.Type().IsRegular():
			if filepath.ToSlash(rel) == ManifestName {
				return fmt.Errorf("%s: %s is reserved for the artifact manifest", path, ManifestName)
			}
			if link && os.Link(path, target) == nil {
				return nil
			}
			return copyFile(path, target)
		default:
			return fmt.Errorf("%s: only regular files and directories can be imported", path)
		}
	})
}
