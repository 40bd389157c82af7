package sdk

import (
	"errors"
	"fmt"
	"strings"
)

// Severity of a diagnostic.
type Severity int

// Severities; the zero value is invalid so a forgotten field is visible.
const (
	SeverityInvalid Severity = iota
	SeverityError
	SeverityWarning
)

// Diagnostic is one problem found by Validate.
type Diagnostic struct {
	Severity Severity
	Summary  string // short, no period
	Detail   string // full sentences: what is wrong and what to do
	// Attribute names the config attribute at fault; empty for the whole config.
	Attribute string
}

// Diagnostics is a list of problems.
type Diagnostics []Diagnostic

// Errorf returns an error diagnostic about attribute attr.
func Errorf(attr, summary, detailFormat string, args ...any) Diagnostic {
	return Diagnostic{Severity: SeverityError, Attribute: attr, Summary: summary, Detail: fmt.Sprintf(detailFormat, args...)}
}

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity != SeverityWarning {
			return true
		}
	}
	return false
}

// Err returns the errors in ds as one error, or nil.
func (ds Diagnostics) Err() error {
	var errs []error
	for _, d := range ds {
		if d.Severity == SeverityWarning {
			continue
		}
		errs = append(errs, errors.New(d.String()))
	}
	return errors.Join(errs...)
}

// String renders the diagnostic on one line.
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.Attribute != "" {
		b.WriteString(d.Attribute + ": ")
	}
	b.WriteString(d.Summary)
	if d.Detail != "" {
		b.WriteString(": " + d.Detail)
	}
	return b.String()
}
