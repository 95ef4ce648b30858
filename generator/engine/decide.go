package engine

import (
	"bytes"
	"fmt"

	"github.com/secgen/secgen/generator/merge"
	"github.com/secgen/secgen/generator/plan"
)

// fileState is everything add, update and init know about one path when
// they decide what to do with it. It holds no handle: deciding is pure.
type fileState struct {
	// Yours is the content on disk; nil when absent.
	Yours []byte
	// NotRegular is set when something other than a regular file (a
	// symbolic link, a directory, a FIFO) is at the path.
	NotRegular bool
	// Tracked is set when the manifest records the path; Recorded is the
	// SHA-256 it records (of what secgen wrote last time).
	Tracked  bool
	Recorded string
	// New is what the catalog renders now; nil when it no longer renders
	// the path.
	New []byte
	// Base is what secgen wrote last time, when known. BaseMissing says
	// why it is not (used only when a merge needs it).
	Base        []byte
	BaseMissing string
	// Previous is what the catalog before the last update rendered, when
	// the caller found that Yours holds it.
	Previous []byte
}

// decision is what a command does to one path.
type decision struct {
	Action Action
	// Content is written to the path, or beside it as <path>.secgen-new
	// when Side is set; nil writes nothing.
	Content []byte
	Side    bool
	Reason  string
	// Owned is set when the path becomes the user's: the manifest records
	// it under skip so secgen never touches it again.
	Owned bool
}

// needsBase reports whether deciding st merges three ways, so the caller
// fetches the base only then.
func needsBase(st fileState) bool {
	if !st.Tracked || st.NotRegular || st.Yours == nil || st.New == nil {
		return false
	}
	yours := normalise(st.Yours)
	return !bytes.Equal(yours, st.New) && sha(yours) != st.Recorded && sha(st.Yours) != st.Recorded
}

// decide maps (base, yours, new, policy) to an action. A change of the
// user's is never lost: it is kept, merged or marked, never overwritten.
// Line endings are compared and merged normalised to LF, and written back
// in the style of the user's file.
func decide(st fileState, policy ConflictPolicy) decision {
	if st.New == nil {
		return decideDropped(st)
	}
	if st.NotRegular {
		return decideOwned(st, policy, "something other than a regular file is there")
	}
	if st.Yours == nil {
		if !st.Tracked {
			return decision{Action: ActionCreate, Content: st.New}
		}
		return decideOwned(st, policy, "you deleted it")
	}
	return decideExisting(st, policy)
}

// decideExisting decides a path where the user's regular file is: the
// same as the catalog's, still secgen's (replaced, or re-applied when it
// holds the previous version's), or changed on both sides (merged, and
// what cannot be merged handled by the policy).
func decideExisting(st fileState, policy ConflictPolicy) decision {
	crlf := isCRLF(st.Yours)
	yours := normalise(st.Yours)
	styled := func(b []byte) []byte {
		if crlf {
			return toCRLF(b)
		}
		return b
	}
	switch {
	case bytes.Equal(yours, st.New):
		return decision{Action: ActionUnchanged}
	case st.Tracked && (sha(st.Yours) == st.Recorded || sha(yours) == st.Recorded):
		return decision{Action: ActionReplace, Content: styled(st.New)}
	case st.Tracked && st.Previous != nil && bytes.Equal(yours, st.Previous):
		// The manifest records the new version but the file holds the
		// previous one's (a revert after an interrupted update).
		return decision{Action: ActionReplace, Content: styled(st.New), Reason: "it still held the previous catalog version's content: re-applied"}
	}
	if !st.Tracked && policy != ConflictMark {
		// add: a file secgen never wrote is in the way; with no base
		// there is nothing to merge.
		return decideConflict(policy, st.New, nil, "exists and differs from what secgen renders")
	}
	m, reason := mergeSides(st, yours)
	if m.Clean() {
		if bytes.Equal(m.Content, yours) {
			return decision{Action: ActionUnchanged} // the template's change was already there
		}
		return decision{Action: ActionMerge, Content: styled(m.Content)}
	}
	if reason == "" {
		reason = fmt.Sprintf("you and the template changed the same lines: %d conflict(s), first at line %d", len(m.Conflicts), m.Conflicts[0].StartLine)
	}
	return decideConflict(policy, styled(st.New), styled(m.Content), reason)
}

// mergeSides merges the user's file (yours, normalised) with the catalog's:
// three ways against the base, two ways (every difference marked, with the
// reason) when the base is missing, against nothing for a file secgen
// never wrote.
func mergeSides(st fileState, yours []byte) (merge.Result, string) {
	switch {
	case !st.Tracked:
		return merge.Merge(nil, yours, st.New, mergeOptions), ""
	case st.Base == nil:
		return merge.TwoWay(yours, st.New, mergeOptions), "what secgen wrote last time is not available (" + st.BaseMissing + "), so every difference is marked"
	}
	return merge.Merge(normalise(st.Base), yours, st.New, mergeOptions), ""
}

// decideConflict applies a --conflict policy, the same on every verb, to a
// file whose content and secgen's cannot be reconciled: fail writes
// nothing (the command refuses), skip keeps yours, new keeps yours and
// writes secgen's version beside it, mark writes marked, the markers
// listed and recorded.
func decideConflict(policy ConflictPolicy, theirs, marked []byte, reason string) decision {
	switch policy {
	case ConflictFail:
		return decision{Action: ActionConflict, Reason: reason}
	case ConflictSkip:
		return decision{Action: ActionSkip, Reason: "kept yours: " + reason}
	case ConflictNew:
		return decision{Action: ActionNew, Content: theirs, Side: true, Reason: "kept yours: " + reason + "; secgen's version is beside it"}
	}
	return decision{Action: ActionConflict, Content: marked, Reason: reason}
}

// decideDropped handles a path the catalog no longer renders.
func decideDropped(st fileState) decision {
	switch {
	case st.NotRegular:
		return decision{Action: ActionKeep, Reason: "no longer generated; something other than a regular file is there, left alone"}
	case st.Yours == nil:
		return decision{} // gone already; simply no longer recorded
	case sha(st.Yours) == st.Recorded:
		return decision{Action: ActionRemove}
	}
	return decision{Action: ActionKeep, Reason: "no longer generated, but you changed it: kept, and no longer tracked"}
}

// decideOwned handles a generated path the user deleted or replaced by
// something that is not a regular file: it becomes the user's. Add, which
// never wrote it, refuses under its default policy.
func decideOwned(st fileState, policy ConflictPolicy, what string) decision {
	switch {
	case policy == ConflictFail && !st.Tracked:
		return decision{Action: ActionConflict, Reason: what}
	case policy == ConflictNew:
		return decision{Action: ActionNew, Content: st.New, Side: true, Owned: true, Reason: what + ": it is yours now; secgen's version is beside it"}
	}
	return decision{Action: ActionKeep, Owned: true, Reason: what + ": it is yours now, and secgen leaves it alone (recorded under skip in .secgen.yaml)"}
}

func sha(b []byte) string { return plan.File{Content: b}.SHA256() }

// isCRLF reports whether b's lines end in CRLF (judged by its first line).
func isCRLF(b []byte) bool {
	i := bytes.IndexByte(b, '\n')
	return i > 0 && b[i-1] == '\r'
}

// normalise turns CRLF line endings into LF.
func normalise(b []byte) []byte {
	if !bytes.Contains(b, []byte("\r\n")) {
		return b
	}
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}

// toCRLF writes LF line endings as CRLF.
func toCRLF(b []byte) []byte {
	return bytes.ReplaceAll(normalise(b), []byte("\n"), []byte("\r\n"))
}
