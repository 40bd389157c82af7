// Package tokenize holds the logic of the two tokenizer nodes of a pipeline:
// TrainFromDataset learns a byte-level BPE tokenizer from a text dataset
// (node `tokenizer`), and Run turns a text dataset into train and validation
// token datasets (node `tokenize`):
//
//	tokenizer "bpe" {
//	  input          = pii.web
//	  vocab_size     = 8192
//	  min_frequency  = 2
//	  special_tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]
//	}
//	tokenize "web" {
//	  input        = pii.web
//	  tokenizer    = tokenizer.bpe
//	  block_size   = 256
//	  pack         = true
//	  val_fraction = 0.01
//	  seed         = 1
//	}
//
// The tokenizer block decodes into tokenizer.Config, the tokenize block into
// Config; input and tokenizer are references the pipeline resolves. The
// tokenizer artifact is a directory holding tokenizer.FileName; the tokenize
// node has two outputs, train and val, both with Schema() and Meta().
//
// # Rows
//
// Every document's tokens are followed by the end-of-text token. With
// packing, the token stream of a split is cut into rows of BlockSize+1
// tokens, nanoGPT style: a row gives inputs row[:BlockSize] and targets
// row[1:]. Consecutive rows overlap by one token (the last token of a row is
// the first of the next), so every token of the stream is a target exactly
// once. The last row of a split may be shorter unless DropLast is set.
// Without packing, each document gets its own rows, cut the same way.
//
// The doc_starts column lists, for each row, the offsets at which a document
// begins inside that row, ascending. Offset 0 is present only when a
// document really begins there; a row that starts inside a document has
// tokens before its first offset that continue that document. A model keeps
// attention inside a document by letting position i attend only to positions
// at or after the greatest offset <= i.
//
// # Split
//
// A document goes to validation when a seeded 64-bit hash of its id (of its
// text when the id is missing) falls below ValFraction, so the split does not
// depend on order, batching or parallelism, and a document keeps its side when
// the dataset grows.
package tokenize
