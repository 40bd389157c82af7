package chat

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/llmflow/llmflow/artifact"
)

// File names of a chat template artifact.
const (
	SpecFile  = "template.json"
	JinjaFile = "chat_template.jinja"
)

// Save writes t into dir as template.json (its Spec, which Load reads)
// and chat_template.jinja (the Jinja translation, for reading).
func (t *Template) Save(dir string) error {
	b, err := json.MarshalIndent(t.Spec(), "", "  ")
	if err != nil {
		return err
	}
	if err := artifact.WriteFileAtomic(filepath.Join(dir, SpecFile), append(b, '\n')); err != nil {
		return err
	}
	return artifact.WriteFileAtomic(filepath.Join(dir, JinjaFile), []byte(t.Jinja()+"\n"))
}

// Load reads the template a chat_template artifact holds in dir.
func Load(dir string) (*Template, error) {
	path := filepath.Join(dir, SpecFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := ParseSpec(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}
