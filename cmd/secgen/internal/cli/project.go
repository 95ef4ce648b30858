package cli

import (
	"fmt"
	"io"

	"github.com/secgen/secgen/generator/engine"
	"github.com/secgen/secgen/generator/merge"
)

// optionalAnswersFile reads --answers when it is given; "-" is standard input.
func optionalAnswersFile(streams *IO, path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	return readAnswersFile(streams, path)
}

// printDiff writes the unified diff of every change a project command
// makes (or would make).
func printDiff(w io.Writer, res *engine.ProjectResult) {
	for _, c := range res.Changes {
		if !c.Writes() {
			continue
		}
		oldName, newName := "a/"+c.Path, "b/"+c.Path
		old, cur := c.Old, c.New
		switch {
		case c.Action == engine.ActionNew:
			oldName, newName, old = "/dev/null", "b/"+c.Written, nil
		case c.Action == engine.ActionRemove:
			newName = "/dev/null"
		case c.Old == nil:
			oldName = "/dev/null"
		}
		fmt.Fprint(w, merge.Unified(oldName, newName, old, cur, merge.DefaultContext))
	}
}

// printChanges lists what a project command did, one line per path it
// touched or reported.
func printChanges(w io.Writer, res *engine.ProjectResult) {
	if res.Finished {
		fmt.Fprintln(w, "First finished an earlier secgen run that was interrupted.")
	}
	written := 0
	for _, c := range res.Changes {
		if c.Action == engine.ActionUnchanged || c.Action == engine.ActionManifest {
			continue
		}
		line := fmt.Sprintf("  %-9s %s", c.Action, c.Path)
		if c.Reason != "" {
			line += ": " + c.Reason
		}
		fmt.Fprintln(w, line)
		if c.Writes() {
			written++
		}
	}
	for _, p := range res.Recovered {
		fmt.Fprintf(w, "  kept      %s: edited after an interrupted run; that run's version is in %s.secgen-new\n", p, p)
	}
	fmt.Fprintf(w, "%d file(s) written; components: %v.\n", written, res.Components)
}

// printConflicts lists every conflict with its one-line reason.
func printConflicts(w io.Writer, res *engine.ProjectResult) {
	for _, c := range res.Conflicts {
		fmt.Fprintf(w, "conflict: %s: %s\n", c.Path, c.Reason)
	}
}
