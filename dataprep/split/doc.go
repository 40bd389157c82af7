// Package split decides train/validation splits from a seeded hash of a
// row's key, so a row's side depends on neither order, batching nor
// parallelism, and a row keeps its side when the dataset grows.
package split
