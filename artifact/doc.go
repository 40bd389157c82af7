// Package artifact is llmflow's data plane: a content-addressed store of
// immutable artifacts (directories of files plus a manifest), sharded Arrow
// IPC datasets, and ingestion of JSONL, plain text, Parquet and Arrow files
// into text datasets.
//
// # Store layout
//
//	<store>/objects/sha256/<hex>/         one committed artifact: its files + manifest.json
//	<store>/tmp/<random>/                 staging directories (renamed into objects/ on commit)
//	<store>/nodes/<key>.json              node cache index: cache key -> output name -> digest
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
// file; no input makes them panic.
package artifact
