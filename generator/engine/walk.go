package engine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"sort"

	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/plan"
)

// pathWalk is the per-file step every project verb shares, in three parts:
// gather reads every path the verb decides (the file on disk, its record)
// and then renders, once each, the earlier catalog versions their
// decisions need (the recorded one for merge bases and moves, the one
// before the last update for the re-apply rule); decidePath decides each
// gathered path, purely; record adds the decisions to the outcome that
// commit writes.
type pathWalk struct {
	r       *os.Root
	m       *manifest.Manifest
	records map[string]manifest.FileRecord
	bases   *baseFinder
	o       *outcome
	policy  ConflictPolicy
	// previous looks for files still holding what the previous catalog
	// version rendered (update's re-apply rule).
	previous bool
	// reason, when set, rewords a decision for the verb (add names its
	// component).
	reason func(d *decision, st fileState, f plan.File)
}

// newWalk starts the per-file step of a project verb.
func (e *Engine) newWalk(ctx context.Context, p *project, r *os.Root, o *outcome, policy ConflictPolicy) *pathWalk {
	records := make(map[string]manifest.FileRecord, len(p.manifest.Files))
	for _, f := range p.manifest.Files {
		records[f.Path] = f
	}
	return &pathWalk{r: r, m: p.manifest, records: records, o: o, policy: policy,
		bases: &baseFinder{ctx: ctx, e: e, root: p.root, m: p.manifest}}
}

// pathInput is one path as gathered: everything deciding it needs, as
// plain data.
type pathInput struct {
	// File is what the catalog renders at the path; for a recorded path it
	// no longer renders (dropped), only Path and Component are set.
	File    plan.File
	Dropped bool
	State   fileState
	Mode    os.FileMode
	// Move, when set, is the recorded path whose file may move here.
	Move *moveInput
	// needBase and needPrevious say, once per path, what gather must
	// attach: the merge base, the previous version's content.
	needBase, needPrevious bool
}

// moveInput is the file that may move to a rendered path: a tracked path
// the catalog no longer renders, whose template identity renders here now.
type moveInput struct {
	move
	Component string
	// State is the user's file at From, decided against what the catalog
	// renders at the new path (its record's base).
	State fileState
	Mode  os.FileMode
}

// skipped reports (and lists once) a rendered path the manifest's skip
// patterns keep secgen away from.
func (w *pathWalk) skipped(path string) bool {
	if !w.m.Skipped(path) {
		return false
	}
	w.o.res.Skipped = append(w.o.res.Skipped, path)
	return true
}

// gather reads every rendered file and, with dropped, every recorded file
// the catalog no longer renders (neither skipped), renders the earlier
// versions their decisions need, once each, and attaches to each path its
// base, the previous version's content and the move into it.
func (w *pathWalk) gather(files []plan.File, dropped bool) ([]pathInput, error) {
	var in []pathInput
	disk := newProjectFiles(w.r)
	defer disk.close()
	rendered := make(map[string]bool, len(files))
	for _, f := range files {
		rendered[f.Path] = true
		if w.skipped(f.Path) {
			continue
		}
		w.o.generated = append(w.o.generated, f)
		st, mode, err := w.read(disk, f.Path, f.Mode, f.Content)
		if err != nil {
			return nil, err
		}
		in = append(in, pathInput{File: f, State: st, Mode: mode})
	}
	if dropped {
		for _, rec := range w.m.Files {
			if rendered[rec.Path] || w.m.Skipped(rec.Path) {
				continue
			}
			st, mode, err := w.read(disk, rec.Path, plan.ModeFile, nil)
			if err != nil {
				return nil, err
			}
			in = append(in, pathInput{File: plan.File{Path: rec.Path, Component: rec.Component}, Dropped: true, State: st, Mode: mode})
		}
	}
	w.renderVersions(in, dropped)
	if dropped {
		w.attachMoves(in, files)
	}
	return in, w.attach(in)
}

// read reads one path's state: what is on disk and what its record says.
func (w *pathWalk) read(disk *projectFiles, path string, want os.FileMode, content []byte) (fileState, os.FileMode, error) {
	rec, tracked := w.records[path]
	st, mode, err := readState(disk, path, want)
	if err != nil {
		return st, 0, err
	}
	st.Tracked, st.Recorded, st.New = tracked, rec.SHA256, content
	return st, mode, nil
}

// needsPrevious reports whether the re-apply rule must look at what the
// version before the last update rendered: the user's file is neither
// what the manifest records nor what the catalog renders now. (Checked
// first against the render, so a project with nothing to do hashes
// nothing.)
func needsPrevious(st fileState) bool {
	if !st.Tracked || st.New == nil || st.Yours == nil {
		return false
	}
	yours := normalise(st.Yours)
	return !bytes.Equal(yours, st.New) && sha(yours) != st.Recorded && sha(st.Yours) != st.Recorded
}

// renderVersions renders, once each and only when a decision needs it, the
// recorded catalog version (merge bases; with dropped paths, the moves)
// and the one before the last update (the re-apply rule).
func (w *pathWalk) renderVersions(in []pathInput, dropped bool) {
	recorded, previous := false, false
	for i := range in {
		p := &in[i]
		p.needBase = needsBase(p.State)
		p.needPrevious = w.previous && needsPrevious(p.State)
		recorded = recorded || p.needBase || (dropped && movable(*p))
		previous = previous || p.needPrevious
	}
	if recorded {
		w.bases.load()
	}
	if previous {
		w.bases.loadPrevious()
	}
}

// attachMoves finds, for each rendered path, the dropped path whose file
// moves there (declared renames and paths that follow the answers).
func (w *pathWalk) attachMoves(in []pathInput, files []plan.File) {
	if !slices.ContainsFunc(in, movable) {
		return // no file can move: the recorded version need not be rendered
	}
	moves := w.bases.e.moves(w.bases, w.m, files)
	if len(moves) == 0 {
		return
	}
	from := map[string]*pathInput{}
	for i := range in {
		if in[i].Dropped {
			from[in[i].File.Path] = &in[i]
		}
	}
	for i := range in {
		mv, ok := moves[in[i].File.Path]
		old := from[mv.From]
		if !ok || in[i].Dropped || old == nil {
			continue
		}
		st := old.State
		st.New = in[i].File.Content
		in[i].Move = &moveInput{move: mv, Component: old.File.Component, State: st, Mode: old.Mode}
	}
}

// movable reports whether p is a dropped path whose file could move: the
// user's regular file is there.
func movable(p pathInput) bool { return p.Dropped && p.State.Yours != nil }

// attach gives each path the base a merge needs and the previous
// version's content when the user's file still holds it.
func (w *pathWalk) attach(in []pathInput) error {
	for i := range in {
		p := &in[i]
		if p.needBase {
			if err := w.attachBase(&p.State, p.File.Path); err != nil {
				return err
			}
		}
		if p.Move != nil && needsBase(p.Move.State) {
			if err := w.attachBase(&p.Move.State, p.Move.From); err != nil {
				return err
			}
		}
		if p.needPrevious {
			if prev := w.bases.previousAt(p.File.Path); prev != nil && string(normalise(p.State.Yours)) == string(prev) {
				p.State.Previous = prev
			}
		}
	}
	return nil
}

// attachBase reads the base of the record at path into st.
func (w *pathWalk) attachBase(st *fileState, path string) error {
	var err error
	st.Base, st.BaseMissing, err = w.bases.find(w.records[path])
	return err
}

// pathDecision is one decision about one path, ready for the outcome.
type pathDecision struct {
	Path, Component string
	Old             []byte // the content on disk
	Decision        decision
	Mode            os.FileMode
}

// decidePath decides one gathered path; pure. A path a file moves into
// yields two decisions (the new path, then the removal of the old one)
// unless the move does not apply (the new path is taken, the user's file
// is gone or not a regular file, or it would become the user's): the
// paths are then decided on their own, and consumed is false.
func decidePath(p pathInput, policy ConflictPolicy) (out []pathDecision, consumed bool) {
	if p.Move != nil {
		if d, ok := decideMove(p, policy); ok {
			return d, true
		}
	}
	d := decide(p.State, policy)
	return []pathDecision{{Path: p.File.Path, Component: p.File.Component, Old: p.State.Yours, Decision: d, Mode: p.Mode}}, false
}

// decideAll decides every gathered path and records the decisions; a
// dropped path whose file moved is decided with the move.
func (w *pathWalk) decideAll(in []pathInput) error {
	moved := map[string]bool{}
	for _, p := range in {
		if p.Dropped && moved[p.File.Path] {
			continue
		}
		ds, consumed := decidePath(p, w.policy)
		if consumed {
			moved[p.Move.From] = true
		}
		for _, d := range ds {
			if w.reason != nil && !p.Dropped && !consumed {
				w.reason(&d.Decision, p.State, p.File)
			}
			if err := w.record(d, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// record adds a decision to the outcome, reading what is at the side path
// when secgen's version goes there.
func (w *pathWalk) record(d pathDecision, p pathInput) error {
	var sideOld []byte
	if d.Decision.Side {
		var err error
		if sideOld, err = sideContent(w.r, d.Path); err != nil {
			return err
		}
	}
	if p.Dropped && d.Decision.Action == ActionKeep && p.State.Yours != nil && !p.State.NotRegular {
		// A rename the catalog did not declare is not guessed.
		w.o.res.Notices = append(w.o.res.Notices, fmt.Sprintf("%s is no longer generated and holds your changes, so it was kept; if the catalog moved it elsewhere, it did not declare the rename (renamed_from), so carry your changes over yourself", d.Path))
	}
	w.o.record(d.Path, d.Component, d.Old, sideOld, d.Decision, d.Mode)
	if d.Decision.Action == ActionMerge {
		w.o.rendered[d.Path] = p.File.Content
	}
	return nil
}

// walk gathers, decides and records files (and, with dropped, the recorded
// files the catalog no longer renders).
func (w *pathWalk) walk(files []plan.File, dropped bool) error {
	in, err := w.gather(files, dropped)
	if err != nil {
		return err
	}
	return w.decideAll(in)
}

// result is the outcome's result, nil for no outcome.
func (o *outcome) result() *ProjectResult {
	if o == nil {
		return nil
	}
	return o.res
}

// refused reports whether a --conflict=fail conflict stops the verb from
// writing; the result's changes are then sorted for the report.
func (o *outcome) refused() bool {
	if !slices.ContainsFunc(o.res.Conflicts, Blocking) {
		return false
	}
	sort.Slice(o.res.Changes, func(i, j int) bool { return o.res.Changes[i].Path < o.res.Changes[j].Path })
	return true
}
