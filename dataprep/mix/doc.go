// Package mix interleaves several text datasets into one (node `mix`):
//
//	mix "corpus" {
//	  inputs       = [dataset.web, clean.books]
//	  weights      = [3, 1]
//	  max_rows     = [0, 50000]
//	  on_exhausted = "stop"
//	}
//
// Each output row comes from one source, chosen by a seeded generator, and
// carries the reference of its source in a utf8 "source" column. Rows keep
// their order within a source; a source contributes its first rows.
//
// Without weights every row of every source (up to max_rows) is used, and
// each next row comes from a source with probability proportional to the
// rows it has left: a uniformly random interleave whose shares equal the
// sources' sizes. With weights, each next row comes from source i with
// probability weights[i] / sum(weights) over the sources still in play. A
// source is exhausted when it has no rows left or gave max_rows[i]; then
// on_exhausted decides: "stop" (the default) ends the mix, so the output
// keeps the asked proportions and every source is used as far as its share
// allows; "continue" drops the exhausted source and renormalises the
// weights over the others, so every row is used but the tail of the output
// no longer follows the weights.
//
// The same seed, inputs and configuration give byte-identical output. Run
// streams each source a batch at a time; memory does not grow with the
// datasets.
package mix
