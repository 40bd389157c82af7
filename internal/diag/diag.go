package diag

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Diagnostics is an ordered list of problems. The zero value is empty and
// ready to use; Append returns the grown list like the builtin append.
type Diagnostics hcl.Diagnostics

// errorDetail carries the Go error a diagnostic came from so errors.Is and
// errors.As still work after conversion.
type errorDetail struct{ err error }

// Append adds items, which may be error, *hcl.Diagnostic, hcl.Diagnostics or
// Diagnostics; nil items are ignored. Any other type is recorded as a bug.
func (d Diagnostics) Append(items ...any) Diagnostics {
	for _, it := range items {
		switch v := it.(type) {
		case nil:
		case Diagnostics:
			d = append(d, v...)
		case hcl.Diagnostics:
			d = append(d, v...)
		case *hcl.Diagnostic:
			if v != nil {
				d = append(d, v)
			}
		case error:
			d = append(d, FromError(v))
		default:
			d = append(d, Bug("diag.Append got %T", it))
		}
	}
	return d
}

// FromError wraps a Go error as one error diagnostic; an *Error becomes a
// single diagnostic too, so use AsDiagnostics to keep its list.
func FromError(err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  err.Error(),
		Extra:    errorDetail{err: err},
	}
}

// Errorf builds an error diagnostic with a summary and a detail sentence.
func Errorf(subject *hcl.Range, summary, detailFormat string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(detailFormat, args...),
		Subject:  subject,
	}
}

// Bug is a diagnostic for a broken internal invariant: it says so, instead
// of the process panicking.
func Bug(format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Internal error",
		Detail:   fmt.Sprintf(format, args...) + "; this is a bug in llmflow, please report it.",
	}
}

// HasErrors reports whether any diagnostic is an error.
func (d Diagnostics) HasErrors() bool { return hcl.Diagnostics(d).HasErrors() }

// HCL returns the list as hcl.Diagnostics for rendering with hcl's writers.
func (d Diagnostics) HCL() hcl.Diagnostics { return hcl.Diagnostics(d) }

// Err returns nil when there is no error diagnostic, otherwise an *Error
// holding the whole list (warnings included).
func (d Diagnostics) Err() error {
	if !d.HasErrors() {
		return nil
	}
	return &Error{Diags: d}
}

// Error is the error form of a list of diagnostics. It unwraps to the Go
// errors the diagnostics were built from.
type Error struct{ Diags Diagnostics }

// Error joins the error diagnostics, one per line, with their source ranges.
func (e *Error) Error() string {
	var parts []string
	for _, d := range e.Diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		s := d.Summary
		if d.Subject != nil {
			s = fmt.Sprintf("%s: %s", d.Subject, s)
		}
		if d.Detail != "" {
			s += ": " + d.Detail
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n")
}

// Unwrap exposes the wrapped Go errors to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	var out []error
	for _, d := range e.Diags {
		if x, ok := d.Extra.(errorDetail); ok {
			out = append(out, x.err)
		}
	}
	return out
}

// AsDiagnostics recovers diagnostics from an error: an *Error gives its list
// back, any other error becomes one diagnostic.
func AsDiagnostics(err error) Diagnostics {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Diags
	}
	return Diagnostics{FromError(err)}
}
