// Package eval is the built-in `eval` stage: it measures a checkpoint's
// loss, perplexity and bits per byte on a tokens dataset and samples
// completions for a list of prompts, writing both into a report artifact
// (report.json) and reporting the figures as metrics.
package eval
