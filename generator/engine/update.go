package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/plan"
	projectpkg "github.com/secgen/secgen/generator/project"
	"github.com/secgen/secgen/generator/render"
)

// UpdateRequest asks to re-apply the current catalog to a project.
type UpdateRequest struct {
	Dir string // the project root; "" is the working directory
	// Project, when set, is the project opened by the project layer (Dir
	// is then ignored): its root and manifest are used as they were read.
	Project     *projectpkg.Project
	Set         []string
	AnswersFile []byte
	Prompter    answers.Prompter
	DryRun      bool
	// Conflict is ConflictNew to write secgen's version of a file that
	// became the user's (deleted, or replaced by a link) beside it as
	// <path>.secgen-new; "" (or ConflictMark) only reports it.
	Conflict ConflictPolicy
	// AllowDirty works even when tracked files have uncommitted changes.
	AllowDirty bool
	// AllowDowngrade accepts a catalog older than the recorded one, or
	// another catalog.
	AllowDowngrade bool
}

// Update re-renders every component of a project with the current catalog
// and the recorded answers (asking only questions the catalog added). Each
// path is decided by decide: a file the user never changed is replaced;
// one the user changed is merged three ways against what the recorded
// catalog version renders with the recorded answers, and a conflict is
// written with markers, listed and recorded. A file the catalog no longer
// renders is removed when unchanged and otherwise kept and reported. The
// manifest is written last.
func (e *Engine) Update(ctx context.Context, req UpdateRequest) (*ProjectResult, error) {
	policy := ConflictMark
	switch req.Conflict {
	case "", ConflictMark:
	case ConflictNew:
		policy = conflictMarkSide
	default:
		return nil, failure.Invalid(fmt.Errorf("update offers conflict policies %s and %s, not %s", ConflictMark, ConflictNew, failure.Quote(string(req.Conflict))))
	}
	p, err := e.openProject(req.Project, req.Dir, openOptions{dryRun: req.DryRun, allowDowngrade: req.AllowDowngrade, allowDirty: req.AllowDirty})
	if err != nil {
		return nil, err
	}
	defer p.release()
	components := componentNames(p.manifest)
	var notices []string
	values, all, err := e.projectAnswers(ctx, p.root, p.manifest, components, answerInput{Set: req.Set, AnswersFile: req.AnswersFile, Prompter: req.Prompter, Change: true, notices: &notices})
	if err != nil {
		return nil, err
	}
	rendered, err := e.renderPlan(ctx, render.Input{Catalog: e.Catalog, Present: components, Answers: values})
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(p.root)
	if err != nil {
		return nil, fmt.Errorf("open project: %w", err)
	}
	defer r.Close()

	records := map[string]manifest.FileRecord{}
	for _, f := range p.manifest.Files {
		records[f.Path] = f
	}
	bases := &baseFinder{ctx: ctx, e: e, root: p.root, m: p.manifest}
	o := newOutcome(p, components)
	o.res.Notices = notices
	seen := map[string]bool{}
	var generated []plan.File
	moves := e.moves(bases, p.manifest, rendered.Files)
	for _, f := range rendered.Files {
		seen[f.Path] = true
		if p.manifest.Skipped(f.Path) {
			o.res.Skipped = append(o.res.Skipped, f.Path)
			continue
		}
		generated = append(generated, f)
		if mv, ok := moves[f.Path]; ok && !p.manifest.Skipped(mv.From) {
			moved, err := e.decideMove(o, r, bases, records[mv.From], f, mv, policy)
			if err != nil {
				return nil, err
			}
			if moved {
				seen[mv.From] = true
				continue
			}
		}
		rec, tracked := records[f.Path]
		st, mode, err := readState(r, f.Path, f.Mode)
		if err != nil {
			return nil, err
		}
		st.Tracked, st.Recorded, st.New = tracked, rec.SHA256, f.Content
		if needsBase(st, policy) {
			if st.Base, st.BaseMissing, err = bases.find(rec); err != nil {
				return nil, err
			}
		}
		if st.Tracked && st.Yours != nil && sha(normalise(st.Yours)) != st.Recorded && sha(st.Yours) != st.Recorded {
			if prev := bases.findPrevious(f.Path); prev != nil && string(normalise(st.Yours)) == string(prev) {
				st.Previous = prev
			}
		}
		d := decide(st, policy)
		var sideOld []byte
		if d.Side {
			if sideOld, err = sideContent(r, f.Path); err != nil {
				return nil, err
			}
		}
		o.record(f.Path, f.Component, st.Yours, sideOld, d, mode)
	}
	for _, rec := range p.manifest.Files {
		if seen[rec.Path] || p.manifest.Skipped(rec.Path) {
			continue
		}
		st, _, err := readState(r, rec.Path, plan.ModeFile)
		if err != nil {
			return nil, err
		}
		st.Tracked, st.Recorded = true, rec.SHA256
		d := decide(st, policy)
		if d.Action == ActionKeep && st.Yours != nil {
			// A rename the catalog did not declare is not guessed.
			o.res.Notices = append(o.res.Notices, fmt.Sprintf("%s is no longer generated and holds your changes, so it was kept; if the catalog moved it elsewhere, it did not declare the rename (renamed_from), so carry your changes over yourself", rec.Path))
		}
		o.record(rec.Path, rec.Component, st.Yours, nil, d, 0)
	}

	refs := make([]manifest.ComponentRef, 0, len(components))
	for _, name := range components {
		c, err := e.Catalog.Component(name)
		if err != nil {
			return nil, err
		}
		refs = append(refs, manifest.ComponentRef{Name: c.Name, Version: c.Version})
	}
	next := e.nextManifest(p.manifest, refs, e.catalogRef(), manifest.Records(generated), o)
	data, err := e.encodeManifest(next, all)
	if err != nil {
		return nil, err
	}
	// Security-aware update: commit audits the files it changes before and
	// after writing them; a control that fails only afterwards is a weakening.
	o.audit = &auditScope{components: components, answers: all}
	if err := e.commit(ctx, p, o, r, data, generated, req.DryRun); err != nil {
		return nil, err
	}
	return o.res, nil
}

// nextManifest is the manifest after a command: records of the files
// secgen generated (the base of the next merge, not the merged file), less
// those that became the user's, which join skip, and the files left with
// conflict markers.
func (e *Engine) nextManifest(old *manifest.Manifest, refs []manifest.ComponentRef, ref manifest.CatalogRef, records []manifest.FileRecord, o *outcome) *manifest.Manifest {
	previous := old.Previous
	if old.Catalog.ID != "" && !sameVersion(old.Catalog, ref) {
		prev := old.Catalog
		previous = &prev
	}
	m := &manifest.Manifest{
		Schema:        manifest.SchemaVersion,
		SecgenVersion: e.Version,
		Catalog:       ref,
		Previous:      previous,
		Blueprint:     old.Blueprint,
		Components:    refs,
		Skip:          slices.Clone(old.Skip),
		Files:         records,
	}
	for _, p := range o.owned {
		if !m.Skipped(p) {
			m.Skip = append(m.Skip, p)
		}
	}
	if len(o.owned) > 0 {
		m.Files = slices.DeleteFunc(m.Files, func(f manifest.FileRecord) bool { return slices.Contains(o.owned, f.Path) })
	}
	m.Conflicts = append(m.Conflicts, o.conflicted...)
	return m
}

// readState reads what is at p: its content and mode, or that something
// other than a regular file is there. The mode returned is the one to
// write with: the user's when the file exists (a +x or 0444 the user set
// stays), else want.
func readState(r *os.Root, p string, want os.FileMode) (fileState, os.FileMode, error) {
	old, info, err := readProjectFileInfo(r, p)
	if errors.Is(err, errNotRegular) {
		return fileState{NotRegular: true}, want, nil
	}
	if err != nil {
		return fileState{}, 0, err
	}
	mode := want
	if info != nil {
		mode = info.Mode().Perm()
	}
	return fileState{Yours: old}, mode, nil
}

// sideContent reads <p>.secgen-new, which must be a regular file or absent.
func sideContent(r *os.Root, p string) ([]byte, error) {
	side := p + ".secgen-new"
	b, err := readProjectFile(r, side)
	if errors.Is(err, errNotRegular) {
		return nil, failure.Invalidf("%s is not a regular file; cannot write secgen's version there", failure.Quote(side))
	}
	return b, err
}
