package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/pipeline"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

// checkSources compares, per node, the plugin identity and source-file
// digests the run used with the current ones.
func checkSources(cmd *cobra.Command, d *runstore.RunDetail, p *pipeline.Plan) error {
	var changed []string
	for _, n := range latestNodes(d) {
		var was pipeline.KeyParts
		if json.Unmarshal(n.KeyComponents, &was) != nil || n.CacheKey == "" {
			continue
		}
		now, ok := p.SourceParts(n.Addr)
		if !ok {
			changed = append(changed, n.Addr+": node no longer exists")
			continue
		}
		if now.Plugin != was.Plugin {
			changed = append(changed, fmt.Sprintf("%s: plugin changed (%s, was %s)", n.Addr, now.Plugin, was.Plugin))
		}
		have := sourceDigests(now)
		for _, name := range sortedFileInputs(was) {
			// By content: runs recorded before source files were keyed by
			// position and name used their path here.
			if now.Inputs[name] != was.Inputs[name] && !have[was.Inputs[name]] {
				changed = append(changed, fmt.Sprintf("%s: input %s changed", n.Addr, strings.TrimPrefix(name, "file:")))
			}
		}
	}
	sort.Strings(changed)
	for _, c := range changed {
		fmt.Fprintln(cmd.ErrOrStderr(), "changed: "+c)
	}
	if len(changed) > 0 && !reproduceForce {
		return fmt.Errorf("%w: %d input(s) or plugin(s) differ from run %s; use --force to re-run anyway", errMismatch, len(changed), d.ID)
	}
	return nil
}

// sourceDigests returns the set of source-file digests among key parts.
func sourceDigests(p pipeline.KeyParts) map[string]bool {
	out := map[string]bool{}
	for _, name := range sortedFileInputs(p) {
		out[p.Inputs[name]] = true
	}
	return out
}

// sortedFileInputs returns the names of the source-file inputs, sorted.
func sortedFileInputs(p pipeline.KeyParts) []string {
	var names []string
	for name := range p.Inputs {
		if strings.HasPrefix(name, "file:") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// latestNodes keeps the last recorded attempt of each node.
func latestNodes(d *runstore.RunDetail) []runstore.Node {
	last := map[string]runstore.Node{}
	for _, n := range d.Nodes {
		last[n.Addr] = n
	}
	out := make([]runstore.Node, 0, len(last))
	for _, n := range last {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr < out[j].Addr })
	return out
}

// compareOutputs reports, per artifact the original run produced, whether
// the reproduction produced the same digest: equal digests mean
// byte-identical content.
func compareOutputs(cmd *cobra.Command, d *runstore.RunDetail, got map[string]string) error {
	want := map[string]string{}
	for _, e := range d.Lineage {
		if e.Role == runstore.RoleOutput {
			want[e.Addr+"."+e.Name] = e.Digest
		}
	}
	names := make([]string, 0, len(want))
	for k := range want {
		names = append(names, k)
	}
	sort.Strings(names)
	same := 0
	w := cmd.OutOrStdout()
	for _, name := range names {
		switch g := got[name]; {
		case g == want[name]:
			same++
			fmt.Fprintf(w, "  identical  %s  %s\n", name, g)
		case g == "":
			fmt.Fprintf(w, "  missing    %s  (was %s)\n", name, want[name])
		default:
			fmt.Fprintf(w, "  differs    %s  %s (was %s)\n", name, g, want[name])
		}
	}
	fmt.Fprintf(w, "%d/%d artifacts identical\n", same, len(names))
	if same != len(names) {
		return fmt.Errorf("%w: %d of %d artifacts differ", errMismatch, len(names)-same, len(names))
	}
	return nil
}
