// Package dedup removes exact and near-duplicate documents from a text
// dataset.
//
// Exact duplicates share a 128-bit hash of their normalised token stream
// (lower-cased words, punctuation and spacing dropped). Near duplicates are
// found with MinHash-LSH: each document becomes a set of shingles (word
// n-grams for spaced scripts, character n-grams for Chinese, Japanese and
// other unspaced scripts, chosen per document by script; or character
// n-grams everywhere with Shingles "char"), a signature of minimum hash
// values over a family of permutations h -> a*h + b (mod 2^64), and band
// hashes that bucket candidates. A candidate is a duplicate when the
// estimated Jaccard similarity of the two signatures reaches the threshold.
// On CPUs with AVX-512 the signature loop runs eight permutations per
// instruction; the results are bit-identical to the portable loop.
//
// The first document of a cluster in input order is kept. Signatures can be
// computed in parallel (Index.Sign is safe for concurrent use) while
// decisions are taken sequentially in input order, so the output does not
// depend on the number of workers. The index keeps signatures and band
// hashes, never texts: about 4 bytes per permutation plus some 20 bytes per
// band for every kept document (1-1.6 KB with the defaults, measured).
//
// Word shingles lose a whole shingle to every typo, so English text with
// character-level edits above about 1% needs the typo-robust setting:
// shingles = "char", char_shingle_size = 5, bands = 37, rows = 3,
// threshold = 0.5 (at least 95% of documents with 1-6% of their characters
// edited are removed; it also merges templated pages such as directory
// placeholders, and costs about three times the word-shingle time).
//
// A reference set (Index.AddReference, or the Against option of Run) marks
// documents of the main input that duplicate it, such as training documents
// that leak an evaluation set.
package dedup
