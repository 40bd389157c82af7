package artifact

import (
	"fmt"
	"os"
	"path/filepath"
)

// Export copies the files of the committed artifact digest (not its
// manifest) into dst, which must not exist or be empty, so dst becomes an
// ordinary directory other tools read: a dataset's Arrow files, a
// checkpoint's safetensors and JSON.
func (s *Store) Export(digest, dst string) (*Manifest, error) {
	m, err := s.Manifest(digest)
	if err != nil {
		return nil, err
	}
	if entries, err := os.ReadDir(dst); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("export %s: %s is not empty; export into a new or empty directory", digest, dst)
	}
	src := s.Path(digest)
	for _, f := range m.Files {
		to := filepath.Join(dst, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return nil, err
		}
		if err := copyFile(filepath.Join(src, filepath.FromSlash(f.Name)), to); err != nil {
			return nil, fmt.Errorf("export %s: %w", digest, err)
		}
	}
	return m, nil
}
