// Package textutil holds the script-aware text primitives shared by the
// dataprep stages: per-rune script classes, a document language guess from
// script counts ("zh", "en", "other"), a word tokenizer that treats each Han
// or kana character as a word of its own (Chinese and Japanese have no spaces)
// and stop word lists per language.
//
// Everything here works on Go strings without allocating per word: tokens are
// byte offsets into the input. All functions are safe for concurrent use.
package textutil
