package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"

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
	for _, n := range res.Notices {
		fmt.Fprintf(w, "  notice    %s\n", n)
	}
	if len(res.Skipped) > 0 {
		fmt.Fprintf(w, "  skipped   %d path(s) listed under skip in %s: %s\n", len(res.Skipped), manifest.FileName, strings.Join(res.Skipped, ", "))
	}
	fmt.Fprintf(w, "%d file(s) written; components: %v.\n", written, res.Components)
}

// printConflicts lists every conflict with its one-line reason.
func printConflicts(w io.Writer, res *engine.ProjectResult) {
	for _, c := range res.Conflicts {
		fmt.Fprintf(w, "conflict: %s: %s\n", c.Path, c.Reason)
	}
}

// parseConflict checks a --conflict value against the policies a command
// offers; "" is def.
func parseConflict(s string, def engine.ConflictPolicy, offered ...engine.ConflictPolicy) (engine.ConflictPolicy, error) {
	if s == "" {
		return def, nil
	}
	names := make([]string, 0, len(offered))
	for _, p := range offered {
		if string(p) == s {
			return p, nil
		}
		names = append(names, string(p))
	}
	return "", failure.Invalidf("--conflict must be one of %s, got %s", strings.Join(names, ", "), failure.Quote(s))
}

// projectError adds to the engine's refusals the flag that overrides them.
func projectError(err error) error {
	if errors.Is(err, engine.ErrDowngrade) {
		return failure.Invalid(fmt.Errorf("%w; give --allow-downgrade to accept it", err))
	}
	if errors.Is(err, engine.ErrDirty) {
		return failure.Invalid(fmt.Errorf("%w, or give --allow-dirty", err))
	}
	return err
}

// projectJSON is the -o json document of add, update and init.
type projectJSON struct {
	Root       string     `json:"root"`
	DryRun     bool       `json:"dry_run"`
	Wrote      bool       `json:"wrote"`
	Components []string   `json:"components"`
	Files      []fileJSON `json:"files"`
	Notices    []string   `json:"notices,omitempty"`
}

// fileJSON is one path and what the command did to it.
type fileJSON struct {
	Path      string `json:"path"`
	Component string `json:"component,omitempty"`
	// Action is created, updated, merged, moved, conflicted, skipped,
	// removed or kept.
	Action string `json:"action"`
	Reason string `json:"reason,omitempty"`
	// Written is where secgen's version went when not to Path.
	Written string `json:"written,omitempty"`
}

// actionWords name the engine's actions for -o json.
var actionWords = map[engine.Action]string{
	engine.ActionCreate:    "created",
	engine.ActionReplace:   "updated",
	engine.ActionMerge:     "merged",
	engine.ActionMove:      "moved",
	engine.ActionConflict:  "conflicted",
	engine.ActionSkip:      "skipped",
	engine.ActionNew:       "skipped",
	engine.ActionRemove:    "removed",
	engine.ActionKeep:      "kept",
	engine.ActionUnchanged: "kept",
	engine.ActionManifest:  "updated",
}

// printJSON writes every path a project command looked at, with its action
// and reason.
func printJSON(w io.Writer, res *engine.ProjectResult, dryRun bool) error {
	doc := projectJSON{Root: res.Root, DryRun: dryRun, Wrote: res.Wrote, Components: res.Components, Files: []fileJSON{}, Notices: res.Notices}
	if doc.Components == nil {
		doc.Components = []string{}
	}
	for _, c := range res.Changes {
		f := fileJSON{Path: c.Path, Component: c.Component, Action: actionWords[c.Action], Reason: c.Reason, Written: c.Written}
		switch {
		case c.Action == engine.ActionUnchanged:
			f.Reason = "already what secgen renders"
		case c.Action == engine.ActionManifest && c.Old == nil:
			f.Action = "created"
		}
		doc.Files = append(doc.Files, f)
	}
	for _, p := range res.Skipped {
		doc.Files = append(doc.Files, fileJSON{Path: p, Action: "skipped", Reason: "listed under skip in " + manifest.FileName})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
