package engine

import (
	"testing"
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
