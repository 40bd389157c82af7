// Package artifact is llmflow's data plane: a content-addressed store of
// immutable artifacts (directories of files plus a manifest), sharded Arrow
// IPC datasets, and ingestion of JSONL, plain text, Parquet and Arrow files
// into text datasets.
//
// # Store layout
//
//	<store>/objects/sha256/<hex>/         one committed artifact: its files + manifest.json
//	<store>/tmp/staging-<random>/         staging directories (renamed into objects/ on commit)
//	<store>/tmp/stage-<key>/              a node's resumable work directory, kept until it succeeds
//	<store>/tmp/<name>.lock               owner lock of each tmp entry, and of each running node
//	<store>/nodes/<key>.json              node cache index: cache key -> output name -> digest
//	<store>/store.lock                    held shared by runs, exclusively by garbage collection
//
// Every entry under tmp is owned through a flock on its lock file, which
// the kernel drops when the owner dies however it dies. CleanTmp removes
// what nobody holds, so leftovers of killed processes go while other
// processes keep working in the same store.
//
// An artifact's digest is the sha256 of a canonical listing of its kind and
// its files (sorted slash-separated relative path, size and sha256 of each
// file), so equal content gives an equal digest whatever the timestamps or
// the order in which files were written. manifest.json is not part of the
// listing and a staged file may not use that name at the top level.
//
// Commits are atomic: files are fsynced, the manifest is written into the
// staging directory and the directory is renamed to its final name, so a
// killed process never leaves a half artifact under a digest. Committing the
// same digest twice (from goroutines or processes) is safe: the first rename
// wins and the others discard their copy.
//
// # Datasets
//
// A dataset is a directory of Arrow IPC file-format shards named
// part-00000.arrow, part-00001.arrow, ... plus dataset.json, which records the
// schema fingerprint and the row count of every shard. Readers validate the
// shards' schemas, row counts and array buffers and return errors naming the
// file; no input makes them panic. IPC metadata is bounds-checked before
// arrow-go decodes it, because arrow-go sizes allocations from it unchecked;
// dictionaries, compressed bodies and view types are therefore refused.
//
// # Ingest
//
// Ingest turns JSONL, plain text, Parquet and Arrow IPC files into a text
// dataset (id, text, pass-through columns), streaming with memory bounded by
// the batch size and the longest line. A bad row (invalid JSON, missing or
// non-string text, invalid UTF-8 — including JSON escapes that decode to lone
// UTF-16 surrogates) is an error naming file and line, or is skipped and
// counted with OnError "skip"; invalid text is never passed on or replaced.
// See IngestOptions for how ids are made and extra fields typed.
package artifact
