package engine

import (
	"fmt"
	"strings"

	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/plan"
)

// A file whose path changed since the recorded version moves with the
// user's edits: its template was renamed and the catalog declared it
// (renamed_from on the file rule), or its path is a template over answers
// that changed (update --set name=svc2). Both are found the same way: the
// recorded version is rendered with the recorded answers (it is the merge
// base anyway) and each template's identity (plan.File.Source) maps the
// path it rendered then to the path it renders now. A rename the catalog
// did not declare is not guessed: the old file is treated as dropped (kept
// when the user changed it, with a notice saying so) and the new one as
// created, as before.

// move is one file that moves: from the tracked path From to a new path.
type move struct {
	From string
	// Declared is set when the catalog declared the rename; otherwise the
	// path follows the answers.
	Declared bool
}

// moves maps each new path of files to the recorded path whose file moves
// there. Only a tracked path that the new version no longer renders,
// moving to a path that is not tracked, counts.
func (e *Engine) moves(bases *baseFinder, m *manifest.Manifest, files []plan.File) map[string]move {
	tracked := map[string]bool{}
	for _, f := range m.Files {
		tracked[f.Path] = true
	}
	rendered := map[string]bool{}
	for _, f := range files {
		rendered[f.Path] = true
	}
	if !anyDropped(tracked, rendered) {
		return nil // nothing can have moved: the base need not be rendered
	}
	old := bases.recordedSources()
	if old == nil {
		return nil
	}
	out := map[string]move{}
	taken := map[string]bool{}
	for _, f := range files {
		if tracked[f.Path] || f.Source == "" {
			continue
		}
		// The first earlier identity whose path is tracked, dropped and
		// not moved elsewhere already.
		for i, id := range e.identities(f) {
			if p, ok := old[id]; ok && p != f.Path && tracked[p] && !rendered[p] && !taken[p] {
				out[f.Path] = move{From: p, Declared: i > 0}
				taken[p] = true
				break
			}
		}
	}
	return out
}

// anyDropped reports whether a tracked path is no longer rendered.
func anyDropped(tracked, rendered map[string]bool) bool {
	for p := range tracked {
		if !rendered[p] {
			return true
		}
	}
	return false
}

// identities are the template identities f had in earlier versions: its
// own, then those its file rules declare with renamed_from.
func (e *Engine) identities(f plan.File) []string {
	ids := []string{f.Source}
	comp, src, _ := strings.Cut(f.Source, "/")
	src, item, loop := strings.Cut(src, "\x00")
	c, err := e.Catalog.Component(comp)
	if err != nil {
		return ids
	}
	for _, r := range c.Rules {
		if r.RenamedFrom == "" || !r.Matches(src) {
			continue
		}
		id := comp + "/" + r.RenamedFrom
		if loop {
			id += "\x00" + item
		}
		ids = append(ids, id)
	}
	return ids
}

// decideMove decides a file that moves from p.Move.From to p's path,
// purely: the user's file there is merged with what the catalog renders
// now, exactly as if it had not moved, and written to the new path; the
// old path is removed. ok is false when the move does not apply (the user's
// file is gone or not a regular file, something is at the new path
// already, or the file would become the user's or need secgen's version
// beside it): the paths are then decided on their own.
func decideMove(p pathInput, policy ConflictPolicy) (out []pathDecision, ok bool) {
	mv := p.Move
	if p.State.Yours != nil || p.State.NotRegular || mv.State.Yours == nil || mv.State.NotRegular {
		return nil, false
	}
	d := decide(mv.State, policy)
	if d.Side || d.Owned {
		return nil, false
	}
	why := "its path follows the answers"
	if mv.Declared {
		why = "the catalog renamed it"
	}
	switch {
	case d.Action == ActionMerge:
		d.Reason = fmt.Sprintf("moved from %s (%s) and merged with your changes", mv.From, why)
	case d.Action == ActionConflict:
		d.Reason = fmt.Sprintf("moved from %s (%s); %s", mv.From, why, d.Reason)
	case d.Content == nil:
		// Yours, and the template did not change: moved as it is.
		d = decision{Action: ActionMove, Content: mv.State.Yours, Reason: fmt.Sprintf("moved from %s (%s), your changes kept", mv.From, why)}
	default:
		d = decision{Action: ActionMove, Content: d.Content, Reason: fmt.Sprintf("moved from %s (%s)", mv.From, why)}
	}
	return []pathDecision{
		{Path: p.File.Path, Component: p.File.Component, Decision: d, Mode: mv.Mode},
		{Path: mv.From, Component: mv.Component, Old: mv.State.Yours, Decision: decision{Action: ActionRemove, Reason: "moved to " + p.File.Path}},
	}, true
}
