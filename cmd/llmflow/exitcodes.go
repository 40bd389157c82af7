package main

import (
	"errors"

	"github.com/llmflow/llmflow/pipeline"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

// Exit codes are part of the command-line contract: scripts depend on them,
// so existing values never change meaning.
const (
	exitOK          = 0 // success
	exitError       = 1 // any other error
	exitUsage       = 2 // bad command line: unknown flag, missing argument
	exitInvalid     = 3 // the pipeline has errors (diagnostics printed)
	exitNodesFailed = 4 // the run finished with failed nodes
	exitInterrupted = 5 // the run was interrupted (Ctrl-C, SIGTERM)
	exitMismatch    = 6 // reproduce refused (inputs or plugins changed) or artifacts differ
	exitNotFound    = 7 // the named run or artifact does not exist
	// exitPlanChanges is plan --detailed-exitcode's "something would run",
	// the value terraform plan -detailed-exitcode uses.
	exitPlanChanges = 2
)

const exitCodeHelp = `Exit codes:
  0  success
  1  error
  2  usage error (unknown command or flag, missing argument); with
     plan --detailed-exitcode: something would run
  3  invalid pipeline (diagnostics are printed)
  4  run finished with failed nodes
  5  run interrupted
  6  reproduce refused or artifacts not identical
  7  run or artifact not found`

// Typed errors mapped to exit codes.
var (
	errInvalid  = errors.New("pipeline is invalid")
	errUsage    = errors.New("usage error")
	errMismatch = errors.New("reproduction mismatch")
	// errPlanChanges is not a failure: plan --detailed-exitcode found work.
	errPlanChanges = errors.New("the plan has nodes to run")
)

// exitCode maps an error returned by a command to its exit code.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errPlanChanges):
		return exitPlanChanges
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, errInvalid):
		return exitInvalid
	case errors.Is(err, pipeline.ErrInterrupted):
		return exitInterrupted
	case errors.Is(err, pipeline.ErrNodesFailed):
		return exitNodesFailed
	case errors.Is(err, errMismatch):
		return exitMismatch
	case errors.Is(err, runstore.ErrNotFound), errors.Is(err, errNotFound):
		return exitNotFound
	}
	return exitError
}

var errNotFound = errors.New("not found")
