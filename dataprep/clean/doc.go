// Package clean normalises documents and drops low-quality ones.
//
// A Cleaner runs, in this order: optional HTML tag stripping; removal of
// control and invisible characters (zero-width spaces, BOM, soft hyphens,
// bidi controls, tag characters) and whitespace normalisation; Unicode
// normalisation (NFC by default, NFKC on request); then the quality rules —
// Gopher repetition, Gopher quality, C4 line rules (which rewrite the
// document by dropping lines) and FineWeb rules. The first failing rule
// drops the document and names the reason; Stats counts drops per reason.
//
// The rules follow HF datatrove's GopherRepetitionFilter, GopherQualityFilter,
// C4QualityFilter and FineWebQualityFilter (same thresholds, same order,
// same reason names) with these deliberate changes:
//   - words come from textutil's tokenizer, which makes every Han or kana
//     character a word: word-count rules count characters in Chinese, the
//     mean-word-length rule is skipped for Chinese documents, and C4's
//     "too long word" cannot fire on an unspaced Chinese line;
//   - stop words come from textutil per language (English and Chinese,
//     case-insensitive);
//   - empty lines are not lines (blank lines between paragraphs would
//     otherwise count as duplicate and short lines);
//   - FineWeb's short-line length weighs a Han character as three Latin
//     ones, and terminal punctuation includes 。！？ and closing quotes;
//   - Gopher's bullet rule knows "-", "*" and other list marks besides "•";
//   - C4 keeps the text as it was when it drops no line, and keeps paragraph
//     breaks between the lines it keeps.
//
// The hot path makes one pass over the bytes for normalisation and one for
// line and word statistics, hashes words and n-grams into reusable
// open-addressing tables, and allocates nothing per word. A Cleaner is not
// safe for concurrent use; Run gives each worker its own.
package clean
