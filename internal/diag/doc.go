// Package diag is the one diagnostics type used above the config layer. It
// absorbs Go errors and hcl.Diagnostics so callers keep collecting problems
// and convert to an error only at an API edge.
package diag
