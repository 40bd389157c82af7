// Package testenv holds helpers for tests and benchmarks: locating the
// shared real data sets (../shared/data or $LLMFLOW_SHARED_DATA) and reading
// their corpora, comparing against golden files, and measuring CPU time so
// benchmarks can report rates per CPU-second. It is imported only from
// _test.go files.
package testenv
