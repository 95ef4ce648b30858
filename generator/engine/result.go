package engine

import (
	"io/fs"
	"slices"

	"github.com/secgen/secgen/generator/failure"
)

// Action says what a command does, or would do, to one path.
type Action string

// The actions of add, update and init.
const (
	ActionCreate    Action = "create"    // absent; written
	ActionUnchanged Action = "unchanged" // already holds secgen's content
	ActionReplace   Action = "replace"   // unchanged by the user; replaced by the new content
	ActionMerge     Action = "merge"     // changed on both sides; merged cleanly
	ActionConflict  Action = "conflict"  // changed on both sides; written with conflict markers (update) or refused (add)
	ActionSkip      Action = "skip"      // differs from secgen's content; the user's file is kept (add --conflict=skip)
	ActionNew       Action = "new"       // differs, or became the user's; secgen's content written beside it as <path>.secgen-new
	ActionRemove    Action = "remove"    // no longer rendered and unchanged; removed
	ActionKeep      Action = "keep"      // no longer rendered but changed by the user; kept and no longer tracked
	ActionMove      Action = "move"      // the file moved to a new path (a declared rename, or a path over answers that changed), the user's edits kept
	ActionManifest  Action = "manifest"  // the manifest itself
)

// FileChange is one path a project command looked at.
type FileChange struct {
	Path      string
	Component string
	Action    Action
	// Old is the file's content on disk before (nil when absent), New what
	// the command writes (nil when it removes or leaves the file).
	Old, New []byte
	// Written is the path New goes to when it is not Path (<path>.secgen-new).
	Written string
	// Mode is the mode New is written with.
	Mode fs.FileMode
	// Reason is a one-line explanation for conflicts, skips and keeps.
	Reason string
}

// Writes reports whether the change writes or removes a file.
func (c FileChange) Writes() bool {
	switch c.Action {
	case ActionCreate, ActionReplace, ActionMerge, ActionMove, ActionNew, ActionRemove, ActionManifest:
		return true
	case ActionConflict:
		return c.New != nil
	}
	return false
}

// ProjectResult is what add, update and init did (or, in a dry run, would
// do) to a project.
type ProjectResult struct {
	Root       string
	Components []string // the project's components afterwards
	Changes    []FileChange
	// Conflicts are the changes whose Action is ActionConflict.
	Conflicts []FileChange
	// Finished is true when an earlier run that was interrupted after its
	// commit point was finished first.
	Finished bool
	// Recovered lists files kept while finishing that run.
	Recovered []string
	// Wrote is false in a dry run and when add refused on conflicts.
	Wrote bool
	// Weakenings are the controls update's changes made fail (update only,
	// not in a dry run).
	Weakenings []Weakening
	// Notices are one-line messages for the user (answers defaulted or
	// dropped).
	Notices []string
	// Skipped lists the rendered paths the manifest's skip patterns keep
	// secgen away from.
	Skipped []string
}

// ConflictPolicy says what add and update do with a file whose content and
// secgen's cannot be reconciled: one that exists and differs (add), or that
// both sides changed on the same lines (update). Every policy means the
// same on both verbs.
type ConflictPolicy string

// The conflict policies.
const (
	ConflictFail ConflictPolicy = "fail" // write nothing, report (add's default)
	ConflictSkip ConflictPolicy = "skip" // keep the user's file
	ConflictNew  ConflictPolicy = "new"  // keep the user's file; write secgen's version beside it as <path>.secgen-new
	// ConflictMark writes the file with conflict markers, listed and
	// recorded under conflicts (update's default).
	ConflictMark ConflictPolicy = "mark"
)

// ConflictPolicies are the policies in the order help texts list them.
var ConflictPolicies = []ConflictPolicy{ConflictFail, ConflictSkip, ConflictNew, ConflictMark}

// conflictPolicy checks a requested policy; "" is def.
func conflictPolicy(p, def ConflictPolicy) (ConflictPolicy, error) {
	if p == "" {
		return def, nil
	}
	if !slices.Contains(ConflictPolicies, p) {
		return "", &failure.FieldError{Field: failure.FieldConflict, Value: string(p), Reason: "is not one of fail, skip, new and mark"}
	}
	return p, nil
}
