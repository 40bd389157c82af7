// Package redact replaces secret values in text that leaves the process:
// diagnostics, error messages and log lines. It knows nothing of where the
// secrets come from; the pipeline adds the values of sensitive variables.
package redact
