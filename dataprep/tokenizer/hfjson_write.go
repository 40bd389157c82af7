package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// FileName is the name the Python ecosystem expects for the tokenizer file.
const FileName = "tokenizer.json"

// WriteJSON writes t in the Hugging Face tokenizers format (version 1.0):
// a BPE model with vocab ordered by id and merges as pairs, the ByteLevel
// pre-tokenizer (behind a Han Split when HanChunk > 0), ByteLevel decoder and
// post-processor, no normalizer. Output is byte-identical for equal tokenizers.
func (t *Tokenizer) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p := func(s string) { bw.WriteString(s) }
	p("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [")
	for i, a := range t.added {
		if i > 0 {
			p(",")
		}
		fmt.Fprintf(bw, "\n    {\"id\": %d, \"content\": %s, \"single_word\": false, \"lstrip\": false, "+
			"\"rstrip\": false, \"normalized\": false, \"special\": %t}", a.ID, quote(a.Content), a.Special)
	}
	if len(t.added) > 0 {
		p("\n  ")
	}
	p("],\n  \"normalizer\": null,\n  \"pre_tokenizer\": ")
	p(preTokenizerJSON(t.pre))
	p(",\n  \"post_processor\": " + byteLevelJSON)
	p(",\n  \"decoder\": " + byteLevelJSON)
	p(",\n  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n" +
		"    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n" +
		"    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n    \"vocab\": {")
	for id, tok := range t.vocab {
		if id > 0 {
			p(",")
		}
		p("\n      " + quote(tok) + ": " + strconv.Itoa(id))
	}
	p("\n    },\n    \"merges\": [")
	for i, m := range t.merges {
		if i > 0 {
			p(",")
		}
		p("\n      [" + quote(t.vocab[m.Left]) + ", " + quote(t.vocab[m.Right]) + "]")
	}
	if len(t.merges) > 0 {
		p("\n    ")
	}
	p("]\n  }\n}\n")
	return bw.Flush()
}

const byteLevelJSON = `{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}`

func preTokenizerJSON(p PreTokenizer) string {
	if p.HanChunk == 0 {
		return byteLevelJSON
	}
	return `{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": ` +
		quote(hanPattern(p.HanChunk)) + `}, "behavior": "Isolated", "invert": false}, ` + byteLevelJSON + `]}`
}

func hanPattern(k int) string {
	if k == 1 {
		return `\p{Han}`
	}
	return `\p{Han}{1,` + strconv.Itoa(k) + `}`
}

// quote renders s as a JSON string without HTML escaping, so "<|endoftext|>"
// stays readable.
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return string(bytes.TrimRight(b.Bytes(), "\n"))
}

// Save writes t to path (normally dir/tokenizer.json) through a temporary
// file and a rename, so a crash never leaves a partial file under path.
func (t *Tokenizer) Save(path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tokenizer-*.json")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := t.WriteJSON(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
