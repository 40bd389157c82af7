package dedup

import "fmt"

// Methods accepted in Config.Method.
const (
	// MethodMinHash removes exact duplicates and MinHash near duplicates.
	MethodMinHash = "minhash"
	// MethodExact removes exact duplicates of the normalised text only.
	MethodExact = "exact"
)

// Shingle units accepted in Config.Shingles.
const (
	ShinglesAuto = "auto"
	ShinglesChar = "char"
)

// Config configures deduplication. Its hcl tags let gohcl.DecodeBody fill it
// from a pipeline block or a `llmflow prep --config` file; attributes left
// out keep the value they had, so decode into DefaultConfig().
type Config struct {
	// Method is "minhash" (exact + near duplicates) or "exact".
	Method string `hcl:"method,optional"`
	// Field is the text column of the dataset.
	Field string `hcl:"field,optional"`
	// Shingles picks the shingle unit: "auto" (words for spaced scripts,
	// characters for unspaced ones, decided per document by script), or
	// "char" (characters everywhere, with one token per run of spaces and
	// punctuation), which also catches typo-level edits in English at about
	// five times the hashing work.
	Shingles string `hcl:"shingles,optional"`
	// ShingleSize is the number of words per shingle in spaced scripts.
	ShingleSize int `hcl:"shingle_size,optional"`
	// CharShingleSize is the number of characters per shingle in spaced
	// scripts when Shingles is "char".
	CharShingleSize int `hcl:"char_shingle_size,optional"`
	// CJKShingleSize is the number of characters per shingle in documents
	// written mostly in unspaced scripts (Chinese, Japanese, Thai...).
	CJKShingleSize int `hcl:"cjk_shingle_size,optional"`
	// Permutations is the signature length; it must be at least Bands*Rows.
	Permutations int `hcl:"permutations,optional"`
	// Bands and Rows shape the LSH buckets: two documents become candidates
	// when all Rows values of at least one band agree.
	Bands int `hcl:"bands,optional"`
	Rows  int `hcl:"rows,optional"`
	// Threshold is the estimated Jaccard similarity at or above which a
	// candidate is a duplicate. 0 accepts every band collision.
	Threshold float64 `hcl:"threshold,optional"`
	// Seed selects the permutation family.
	Seed int64 `hcl:"seed,optional"`
	// Workers bounds the goroutines that compute signatures; 0 means
	// GOMAXPROCS. The output does not depend on it.
	Workers int `hcl:"workers,optional" json:"-"` // not part of a cache key: the output does not depend on it
	// Index is where the index lives: IndexMemory (about 1.5 KB per kept
	// document) or IndexDisk (RunOnDisk: about 14 bytes per document and
	// sort buffers resident, the rest in files). Same output either way.
	Index string `hcl:"index,optional" json:"-"` // not part of a cache key: the output does not depend on it
}

// Index values.
const (
	IndexMemory = "memory"
	IndexDisk   = "disk"
)

// DefaultConfig returns the documented defaults: MinHash with 3-word or
// 2-character shingles, 112 permutations in 28 bands of 4 rows and a
// similarity threshold of 0.6.
//
// The bands are wider than datatrove's 14x8 on purpose: edits of 1-6% of the
// words already bring 3-shingle Jaccard similarity down to about 0.7, and
// 28x4 still finds such pairs with probability above 0.99. Unspaced scripts
// get 2-character shingles: a Chinese text also carries punctuation,
// digits and Latin words that character edits hit, so at 6% of its
// characters edited 3-character shingles fall below the threshold for about
// one document in twenty, while character bigrams of unrelated Chinese
// texts still stay far below it.
func DefaultConfig() Config {
	return Config{
		Method:          MethodMinHash,
		Field:           "text",
		Shingles:        ShinglesAuto,
		ShingleSize:     3,
		CharShingleSize: 4,
		CJKShingleSize:  2,
		Permutations:    112,
		Bands:           28,
		Rows:            4,
		Threshold:       0.6,
		Seed:            1,
	}
}

// Validate reports the first invalid field by its HCL name.
func (c Config) Validate() error {
	switch c.Method {
	case MethodMinHash, MethodExact:
	default:
		return fmt.Errorf("dedup: method: %q is not one of %q, %q", c.Method, MethodMinHash, MethodExact)
	}
	if c.Field == "" {
		return fmt.Errorf("dedup: field: must not be empty")
	}
	if c.Index != "" && c.Index != IndexMemory && c.Index != IndexDisk {
		return fmt.Errorf("dedup: index: %q is not one of %q, %q", c.Index, IndexMemory, IndexDisk)
	}
	if c.Method == MethodExact {
		return nil
	}
	switch {
	case c.ShingleSize < 1 || c.ShingleSize > 32:
		return fmt.Errorf("dedup: shingle_size: %d is outside 1..32", c.ShingleSize)
	case c.Shingles != ShinglesAuto && c.Shingles != ShinglesChar:
		return fmt.Errorf("dedup: shingles: %q is not one of %q, %q", c.Shingles, ShinglesAuto, ShinglesChar)
	case c.CharShingleSize < 1 || c.CharShingleSize > 32:
		return fmt.Errorf("dedup: char_shingle_size: %d is outside 1..32", c.CharShingleSize)
	case c.CJKShingleSize < 1 || c.CJKShingleSize > 32:
		return fmt.Errorf("dedup: cjk_shingle_size: %d is outside 1..32", c.CJKShingleSize)
	case c.Bands < 1 || c.Rows < 1:
		return fmt.Errorf("dedup: bands and rows must be at least 1 (got %d x %d)", c.Bands, c.Rows)
	case c.Permutations < c.Bands*c.Rows:
		return fmt.Errorf("dedup: permutations: %d is less than bands x rows = %d", c.Permutations, c.Bands*c.Rows)
	case c.Permutations > 4096:
		return fmt.Errorf("dedup: permutations: %d is more than 4096", c.Permutations)
	case c.Threshold < 0 || c.Threshold > 1:
		return fmt.Errorf("dedup: threshold: %g is outside 0..1", c.Threshold)
	case c.Workers < 0:
		return fmt.Errorf("dedup: workers: %d is negative", c.Workers)
	}
	return nil
}
