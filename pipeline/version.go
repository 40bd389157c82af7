package pipeline

// Version is the llmflow version; it is part of built-in node identities so
// a new release re-runs nodes whose implementation may have changed, and it
// is recorded with every run.
var Version = "0.1.0-dev"
