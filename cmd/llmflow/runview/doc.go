// Package runview renders recorded runs for people: the page model built
// from the run store and the artifact store, one embedded html/template set
// that both the self-contained HTML report and the local web UI use, and
// the UI's read-only HTTP handler.
package runview
