// Package eval is the built-in `eval` stage. It measures a checkpoint's
// loss, perplexity and bits per byte on a tokens dataset, scores it by
// prompting with the examples of a text dataset (template, k-shot examples,
// batched generation; exact match, contains, multiple choice by
// log-probability, response loss) and samples completions for a list of
// prompts. Figures go into report.json and are reported as metrics;
// per-example prompting results into an Arrow dataset beside it.
//
// Both evaluations live in one stage because both read one checkpoint and
// write one report: a pipeline asks for the figures it wants by the inputs
// it wires, and the shared pieces (checkpoint loading, the report, the
// tokenizer's handling of special tokens) stay in one place.
package eval
