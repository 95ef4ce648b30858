package engine

import (
	"strings"
	"testing"

	"github.com/secgen/secgen/generator/plan"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	const (
		base  = "a\nb\nc\nd\ne\n"
		mine  = "a\nB\nc\nd\ne\n" // the user changed line 2
		next  = "a\nb\nc\nd\nE\n" // the catalog changed line 5
		both  = "a\nB\nc\nd\nE\n"
		other = "a\nX\nc\nd\ne\n" // the catalog changed line 2 too
	)
	rec := sha([]byte(base))
	crlf := func(s string) []byte { return toCRLF([]byte(s)) }
	cases := []struct {
		name    string
		st      fileState
		policy  ConflictPolicy
		action  Action
		content string // "" when nothing is written
		side    bool
		owned   bool
	}{
		{"absent, untracked: created", fileState{New: []byte(next)}, ConflictMark, ActionCreate, next, false, false},
		{"identical", fileState{Yours: []byte(next), New: []byte(next), Tracked: true, Recorded: rec}, ConflictMark, ActionUnchanged, "", false, false},
		{"untouched: replaced", fileState{Yours: []byte(base), New: []byte(next), Tracked: true, Recorded: rec}, ConflictMark, ActionReplace, next, false, false},
		{"both changed: merged", fileState{Yours: []byte(mine), New: []byte(next), Tracked: true, Recorded: rec, Base: []byte(base)}, ConflictMark, ActionMerge, both, false, false},
		{"same lines: conflicted with markers", fileState{Yours: []byte(mine), New: []byte(other), Tracked: true, Recorded: rec, Base: []byte(base)}, ConflictMark, ActionConflict, "a\n<<<<<<< yours\nB\n=======\nX\n>>>>>>> secgen\nc\nd\ne\n", false, false},
		{"no base: every difference marked", fileState{Yours: []byte(mine), New: []byte(next), Tracked: true, Recorded: rec, BaseMissing: "gone"}, ConflictMark, ActionConflict, "a\n<<<<<<< yours\nB\n=======\nb\n>>>>>>> secgen\nc\nd\n<<<<<<< yours\ne\n=======\nE\n>>>>>>> secgen\n", false, false},
		{"yours, template unchanged: kept as is", fileState{Yours: []byte(mine), New: []byte(base), Tracked: true, Recorded: rec, Base: []byte(base)}, ConflictMark, ActionUnchanged, "", false, false},
		{"add: exists and differs: refused", fileState{Yours: []byte(mine), New: []byte(next)}, ConflictFail, ActionConflict, "", false, false},
		{"add --conflict=skip", fileState{Yours: []byte(mine), New: []byte(next)}, ConflictSkip, ActionSkip, "", false, false},
		{"add --conflict=new", fileState{Yours: []byte(mine), New: []byte(next)}, ConflictNew, ActionNew, next, true, false},
		{"deleted by the user: yours now", fileState{New: []byte(next), Tracked: true, Recorded: rec}, ConflictMark, ActionKeep, "", false, true},
		{"deleted, --conflict=new: beside", fileState{New: []byte(next), Tracked: true, Recorded: rec}, ConflictNew, ActionNew, next, true, true},
		{"deleted, --conflict=fail: yours now, no refusal", fileState{New: []byte(next), Tracked: true, Recorded: rec}, ConflictFail, ActionKeep, "", false, true},
		{"update, same lines, --conflict=fail: refused", fileState{Yours: []byte(mine), New: []byte(other), Tracked: true, Recorded: rec, Base: []byte(base)}, ConflictFail, ActionConflict, "", false, false},
		{"update, same lines, --conflict=skip: yours kept", fileState{Yours: []byte(mine), New: []byte(other), Tracked: true, Recorded: rec, Base: []byte(base)}, ConflictSkip, ActionSkip, "", false, false},
		{"update, same lines, --conflict=new: no markers in yours, secgen's beside", fileState{Yours: []byte(mine), New: []byte(other), Tracked: true, Recorded: rec, Base: []byte(base)}, ConflictNew, ActionNew, other, true, false},
		{"update, merges cleanly, --conflict=new: merged", fileState{Yours: []byte(mine), New: []byte(next), Tracked: true, Recorded: rec, Base: []byte(base)}, ConflictNew, ActionMerge, both, false, false},
		{"still the previous version's content: re-applied", fileState{Yours: []byte("a\nold\n"), New: []byte(next), Tracked: true, Recorded: rec, Previous: []byte("a\nold\n")}, ConflictMark, ActionReplace, next, false, false},
		{"the previous version's content, in CRLF: re-applied in CRLF", fileState{Yours: crlf("a\nold\n"), New: []byte(next), Tracked: true, Recorded: rec, Previous: []byte("a\nold\n")}, ConflictMark, ActionReplace, string(crlf(next)), false, false},
		{"the previous version's content, but not tracked: not re-applied", fileState{Yours: []byte("a\nold\n"), New: []byte(next), Previous: []byte("a\nold\n")}, ConflictFail, ActionConflict, "", false, false},
		{"add --conflict=mark: every difference marked", fileState{Yours: []byte("x\n"), New: []byte("x\ny\n")}, ConflictMark, ActionConflict, "x\n<<<<<<< yours\n=======\ny\n>>>>>>> secgen\n", false, false},
		{"a link in its place: yours now", fileState{NotRegular: true, New: []byte(next), Tracked: true, Recorded: rec}, ConflictMark, ActionKeep, "", false, true},
		{"add: a link in the way: refused", fileState{NotRegular: true, New: []byte(next)}, ConflictFail, ActionConflict, "", false, false},
		{"dropped, untouched: removed", fileState{Yours: []byte(base), Tracked: true, Recorded: rec}, ConflictMark, ActionRemove, "", false, false},
		{"dropped, changed: kept", fileState{Yours: []byte(mine), Tracked: true, Recorded: rec}, ConflictMark, ActionKeep, "", false, false},
		{"dropped, gone already: nothing", fileState{Tracked: true, Recorded: rec}, ConflictMark, "", "", false, false},
		{"CRLF checkout, untouched: replaced in CRLF", fileState{Yours: crlf(base), New: []byte(next), Tracked: true, Recorded: rec}, ConflictMark, ActionReplace, string(crlf(next)), false, false},
		{"CRLF checkout, both changed: merged in CRLF", fileState{Yours: crlf(mine), New: []byte(next), Tracked: true, Recorded: rec, Base: []byte(base)}, ConflictMark, ActionMerge, string(crlf(both)), false, false},
		{"CRLF checkout of the new content: unchanged", fileState{Yours: crlf(next), New: []byte(next), Tracked: true, Recorded: rec}, ConflictMark, ActionUnchanged, "", false, false},
		{"appeared where the template renders: every difference marked", fileState{Yours: []byte("x\n"), New: []byte("x\ny\n")}, ConflictMark, ActionConflict, "x\n<<<<<<< yours\n=======\ny\n>>>>>>> secgen\n", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := decide(c.st, c.policy)
			if d.Action != c.action || string(d.Content) != c.content || d.Side != c.side || d.Owned != c.owned {
				t.Errorf("decide = {%s %q side=%v owned=%v %q}, want {%s %q side=%v owned=%v}", d.Action, d.Content, d.Side, d.Owned, d.Reason, c.action, c.content, c.side, c.owned)
			}
			if (d.Action == ActionConflict || d.Action == ActionKeep || d.Action == ActionSkip || d.Action == ActionNew) && d.Reason == "" {
				t.Error("no reason given")
			}
		})
	}
}

func TestNeedsBaseOnlyWhenBothSidesChanged(t *testing.T) {
	t.Parallel()
	rec := sha([]byte("a\n"))
	for _, c := range []struct {
		st   fileState
		want bool
	}{
		{fileState{Yours: []byte("b\n"), New: []byte("c\n"), Tracked: true, Recorded: rec}, true},
		{fileState{Yours: []byte("a\n"), New: []byte("c\n"), Tracked: true, Recorded: rec}, false},
		{fileState{Yours: []byte("c\n"), New: []byte("c\n"), Tracked: true, Recorded: rec}, false},
		{fileState{Yours: []byte("b\n"), New: []byte("c\n")}, false},
	} {
		if got := needsBase(c.st); got != c.want {
			t.Errorf("needsBase(%+v) = %v", c.st, got)
		}
	}
}

// TestDecidePath: the one per-file decision, over plain data, for every
// kind of path a verb meets: rendered, dropped, and a file that moves (a
// declared rename or a path that follows the answers), including the
// re-apply rule after a revert and the cases where a move does not apply.
func TestDecidePath(t *testing.T) {
	const (
		base  = "a\nb\nc\nd\ne\n"
		mine  = "a\nB\nc\nd\ne\n" // the user changed line 2
		next  = "a\nb\nc\nd\nE\n" // the catalog changed line 5
		both  = "a\nB\nc\nd\nE\n"
		clash = "a\nX\nc\nd\ne\n"
	)
	rec := sha([]byte(base))
	tracked := func(yours, next string) fileState {
		st := fileState{Tracked: true, Recorded: rec, New: []byte(next), Base: []byte(base)}
		if yours != "" {
			st.Yours = []byte(yours)
		}
		return st
	}
	moving := func(newState fileState, oldState fileState, declared bool) pathInput {
		return pathInput{
			File:  plan.File{Path: "OWNERS.md", Component: "c", Content: oldState.New},
			State: newState, Mode: 0o644,
			Move: &moveInput{move: move{From: "docs/OWNERSHIP.md", Declared: declared}, Component: "c", State: oldState, Mode: 0o600},
		}
	}
	absent := fileState{New: []byte(next)}
	type want struct {
		path    string
		action  Action
		content string
		reason  string // a substring; "" for any
	}
	cases := []struct {
		name     string
		in       pathInput
		policy   ConflictPolicy
		consumed bool
		want     []want
	}{
		{"rendered, untouched: replaced", pathInput{File: plan.File{Path: "f"}, State: tracked(base, next)}, ConflictMark, false,
			[]want{{"f", ActionReplace, next, ""}}},
		{"rendered, reverted to the previous version's content: re-applied",
			pathInput{File: plan.File{Path: "f"}, State: fileState{Tracked: true, Recorded: rec, New: []byte(next), Yours: []byte("old\n"), Previous: []byte("old\n")}}, ConflictMark, false,
			[]want{{"f", ActionReplace, next, "re-applied"}}},
		{"rendered, reverted to something else: the user's, merged two ways",
			pathInput{File: plan.File{Path: "f"}, State: fileState{Tracked: true, Recorded: rec, New: []byte(next), Yours: []byte("other\n"), BaseMissing: "gone"}}, ConflictMark, false,
			[]want{{"f", ActionConflict, "", "not available"}}},
		{"dropped, untouched: removed", pathInput{File: plan.File{Path: "old"}, Dropped: true, State: fileState{Tracked: true, Recorded: rec, Yours: []byte(base)}}, ConflictMark, false,
			[]want{{"old", ActionRemove, "", ""}}},
		{"dropped, changed: kept", pathInput{File: plan.File{Path: "old"}, Dropped: true, State: fileState{Tracked: true, Recorded: rec, Yours: []byte(mine)}}, ConflictMark, false,
			[]want{{"old", ActionKeep, "", "no longer generated"}}},
		{"declared rename, untouched: moved with the catalog's change", moving(absent, tracked(base, next), true), ConflictMark, true,
			[]want{{"OWNERS.md", ActionMove, next, "the catalog renamed it"}, {"docs/OWNERSHIP.md", ActionRemove, "", "moved to OWNERS.md"}}},
		{"declared rename, edited: moved and merged", moving(absent, tracked(mine, next), true), ConflictMark, true,
			[]want{{"OWNERS.md", ActionMerge, both, "merged with your changes"}, {"docs/OWNERSHIP.md", ActionRemove, "", ""}}},
		{"path follows the answers, edited, template unchanged: moved as it is", moving(absent, tracked(mine, base), false), ConflictMark, true,
			[]want{{"OWNERS.md", ActionMove, mine, "its path follows the answers"}, {"docs/OWNERSHIP.md", ActionRemove, "", ""}}},
		{"rename, same lines changed: moved with markers", moving(absent, tracked(mine, clash), true), ConflictMark, true,
			[]want{{"OWNERS.md", ActionConflict, "a\n<<<<<<< yours\nB\n=======\nX\n>>>>>>> secgen\nc\nd\ne\n", "moved from docs/OWNERSHIP.md"}, {"docs/OWNERSHIP.md", ActionRemove, "", ""}}},
		{"rename, the new path is taken: decided on its own", moving(fileState{Yours: []byte("x\n"), New: []byte(next)}, tracked(mine, next), true), ConflictMark, false,
			[]want{{"OWNERS.md", ActionConflict, "", ""}}},
		{"rename, the user deleted the old file: created", moving(absent, tracked("", next), true), ConflictMark, false,
			[]want{{"OWNERS.md", ActionCreate, next, ""}}},
		{"rename, --conflict=new on clashing edits: not moved", moving(fileState{New: []byte(clash)}, tracked(mine, clash), true), ConflictNew, false,
			[]want{{"OWNERS.md", ActionCreate, clash, ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, consumed := decidePath(c.in, c.policy)
			if consumed != c.consumed || len(got) != len(c.want) {
				t.Fatalf("decidePath = %+v consumed %v, want %d decision(s) consumed %v", got, consumed, len(c.want), c.consumed)
			}
			for i, w := range c.want {
				d := got[i]
				if d.Path != w.path || d.Decision.Action != w.action || !strings.Contains(d.Decision.Reason, w.reason) ||
					(w.content != "" && string(d.Decision.Content) != w.content) {
					t.Errorf("decision %d = {%s %s %q %q}, want {%s %s %q ~%q}", i, d.Path, d.Decision.Action, d.Decision.Content, d.Decision.Reason, w.path, w.action, w.content, w.reason)
				}
			}
			if c.consumed && (got[0].Mode != 0o600 || string(got[1].Old) != string(c.in.Move.State.Yours)) {
				t.Errorf("a move keeps the user's mode and removes what it found: %+v", got)
			}
		})
	}
}
