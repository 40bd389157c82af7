// Package builtin maps the names of the stages compiled into the llmflow
// binary to their implementations. The host still runs each one as a
// separate plugin process: it re-executes the llmflow binary as
// `llmflow plugin serve NAME`, which calls Serve.
package builtin
