// Package stream runs a per-row text transform over Arrow record batches on
// N workers with deterministic output order and bounded memory, and does the
// same for JSONL files line by line.
//
// The reader slices input batches into units of at most Options.BatchRows
// rows and hands them to the workers; a writer puts the results back in
// input order. A fixed number of units (2 per worker) may be in flight
// between reading and writing, so memory stays bounded by the batch size,
// not the input size. Each worker owns one Mapper, created by the caller's
// factory: mappers keep reusable buffers and per-worker statistics, which
// the caller merges after Run returns. Output depends only on the input and
// on what the mappers return for each row, never on the number of workers.
//
// Source and Sink are satisfied by *artifact.Dataset and
// *artifact.DatasetWriter.
package stream
