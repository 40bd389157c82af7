package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ManifestName is the file, inside a committed artifact directory, that
// holds its Manifest. It is reserved: staged content may not use it.
const ManifestName = "manifest.json"

// digestPrefix starts every digest string.
const digestPrefix = "sha256:"

// File is one file of an artifact.
type File struct {
	Name   string `json:"name"` // slash-separated path relative to the artifact directory
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lowercase hex
}

// Manifest describes a committed artifact. Digest covers Kind and Files
// only; Schema, Rows and Meta are descriptive.
type Manifest struct {
	Kind   string            `json:"kind"`
	Digest string            `json:"digest"`
	Files  []File            `json:"files"`
	Schema string            `json:"schema,omitempty"`
	Rows   int64             `json:"rows,omitempty"`
	Bytes  int64             `json:"bytes"`
	Meta   map[string]string `json:"meta,omitempty"`
}

// ParseDigest checks that d is "sha256:<64 lowercase hex>" and returns the hex part.
func ParseDigest(d string) (string, error) {
	h, ok := strings.CutPrefix(d, digestPrefix)
	if !ok || len(h) != 64 {
		return "", fmt.Errorf("invalid digest %q: want \"sha256:\" followed by 64 hex digits", d)
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", fmt.Errorf("invalid digest %q: want \"sha256:\" followed by 64 lowercase hex digits", d)
		}
	}
	return h, nil
}

// ListingDigest returns the digest of an artifact of the given kind made of
// files. The listing is canonical: files sorted by name, one line each.
func ListingDigest(kind string, files []File) string {
	sorted := append([]File(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	h := sha256.New()
	io.WriteString(h, "llmflow-artifact-v1\nkind "+strconv.Quote(kind)+"\n")
	for _, f := range sorted {
		fmt.Fprintf(h, "%s %d %s\n", strconv.Quote(f.Name), f.Size, f.SHA256)
	}
	return digestPrefix + hex.EncodeToString(h.Sum(nil))
}

// DigestDir hashes every regular file under dir and returns its digest and
// sorted listing, as Commit would for an artifact of that kind. Symlinks,
// special files and a top-level manifest.json are errors.
func DigestDir(kind, dir string) (string, []File, error) {
	return digestDir(kind, dir, false, false, nil)
}

// digestDir walks dir; with sync set it fsyncs every file and directory so
// that a later rename publishes durable content. The files in known
// (by slash-separated relative name) are taken as hashed already.
func digestDir(kind, dir string, skipManifest, sync bool, known map[string]File) (string, []File, error) {
	var files []File
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			if rel != "." && sync {
				return syncPath(path)
			}
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: only regular files and directories can be stored in an artifact", path)
		case rel == ManifestName:
			if skipManifest {
				return nil
			}
			return fmt.Errorf("%s: %s is reserved for the artifact manifest", path, ManifestName)
		}
		f, err := hashKnownFile(path, sync, known[rel])
		if err != nil {
			return err
		}
		f.Name = rel
		files = append(files, f)
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return ListingDigest(kind, files), files, nil
}

// FileDigest returns "sha256:<hex>" of the file at path.
func FileDigest(path string) (string, error) {
	f, err := hashFile(path, false)
	if err != nil {
		return "", err
	}
	return "sha256:" + f.SHA256, nil
}

// hashKnownFile is hashFile for a file whose size and hash the writer
// gave as known (a zero File when none): while its size agrees, it is
// only synced.
func hashKnownFile(path string, sync bool, known File) (File, error) {
	if known.SHA256 == "" {
		return hashFile(path, sync)
	}
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return File{}, err
	}
	if fi.Size() != known.Size {
		return hashFile(path, sync)
	}
	if sync {
		if err := f.Sync(); err != nil {
			return File{}, fmt.Errorf("sync %s: %w", path, err)
		}
	}
	return known, nil
}

// hashFile returns the size and sha256 of path, fsyncing it when asked.
func hashFile(path string, sync bool) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, fmt.Errorf("hash %s: %w", path, err)
	}
	if !sync {
		return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
	}
	if err := f.Sync(); err != nil {
		return File{}, fmt.Errorf("sync %s: %w", path, err)
	}
	return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// readManifest loads and sanity-checks the manifest of an artifact directory.
func readManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestName)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := ParseDigest(m.Digest); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}

// Verify rehashes the artifact's files and checks them against the manifest.
func (m *Manifest) Verify(dir string) error {
	d, files, err := digestDir(m.Kind, dir, true, false, nil)
	if err != nil {
		return err
	}
	if d != m.Digest {
		return fmt.Errorf("%s: content digest %s does not match manifest digest %s", dir, d, m.Digest)
	}
	if len(files) != len(m.Files) {
		return fmt.Errorf("%s: %d files on disk, manifest lists %d", dir, len(files), len(m.Files))
	}
	return nil
}
