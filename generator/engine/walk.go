package engine

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"

	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/plan"
)

// pathWalk is the per-file step every project verb shares: for one rendered
// path it gathers what deciding it needs (the file on disk, its record and,
// only when a merge needs them, its base and what the previous catalog
// version rendered), decides it with decide (pure), and records the
// decision in the outcome that commit writes.
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

// skipped reports (and lists once) a rendered path the manifest's skip
// patterns keep secgen away from.
func (w *pathWalk) skipped(path string) bool {
	if !w.m.Skipped(path) {
		return false
	}
	w.o.res.Skipped = append(w.o.res.Skipped, path)
	return true
}

// gather reads what deciding f needs.
func (w *pathWalk) gather(f plan.File) (fileState, os.FileMode, error) {
	rec, tracked := w.records[f.Path]
	st, mode, err := readState(w.r, f.Path, f.Mode)
	if err != nil {
		return st, 0, err
	}
	st.Tracked, st.Recorded, st.New = tracked, rec.SHA256, f.Content
	if needsBase(st) {
		if st.Base, st.BaseMissing, err = w.bases.find(rec); err != nil {
			return st, 0, err
		}
	}
	if w.previous && st.Tracked && st.Yours != nil && sha(normalise(st.Yours)) != st.Recorded && sha(st.Yours) != st.Recorded {
		if prev := w.bases.findPrevious(f.Path); prev != nil && string(normalise(st.Yours)) == string(prev) {
			st.Previous = prev
		}
	}
	return st, mode, nil
}

// file gathers, decides and records one rendered path.
func (w *pathWalk) file(f plan.File) error {
	st, mode, err := w.gather(f)
	if err != nil {
		return err
	}
	d := decide(st, w.policy)
	if w.reason != nil {
		w.reason(&d, st, f)
	}
	return w.record(f, st, d, mode)
}

// record adds a decision to the outcome, reading what is at the side path
// when secgen's version goes there.
func (w *pathWalk) record(f plan.File, st fileState, d decision, mode os.FileMode) error {
	var sideOld []byte
	if d.Side {
		var err error
		if sideOld, err = sideContent(w.r, f.Path); err != nil {
			return err
		}
	}
	w.o.record(f.Path, f.Component, st.Yours, sideOld, d, mode)
	if d.Action == ActionMerge {
		w.o.rendered[f.Path] = f.Content
	}
	return nil
}

// dropped decides a recorded path the catalog no longer renders.
func (w *pathWalk) dropped(rec manifest.FileRecord) error {
	st, _, err := readState(w.r, rec.Path, plan.ModeFile)
	if err != nil {
		return err
	}
	st.Tracked, st.Recorded = true, rec.SHA256
	d := decide(st, w.policy)
	if d.Action == ActionKeep && st.Yours != nil {
		// A rename the catalog did not declare is not guessed.
		w.o.res.Notices = append(w.o.res.Notices, fmt.Sprintf("%s is no longer generated and holds your changes, so it was kept; if the catalog moved it elsewhere, it did not declare the rename (renamed_from), so carry your changes over yourself", rec.Path))
	}
	w.o.record(rec.Path, rec.Component, st.Yours, nil, d, 0)
	return nil
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
