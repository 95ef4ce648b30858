package engine

import (
	"bytes"
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
	// Conflict says what to do with a file both sides changed on the
	// same lines (as for add; "" is ConflictMark). ConflictNew also writes
	// secgen's version of a file that became the user's (deleted, or
	// replaced by a link) beside it as <path>.secgen-new.
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
	policy, err := conflictPolicy(req.Conflict, ConflictMark)
	if err != nil {
		return nil, err
	}
	p, err := e.openProject(req.Project, req.Dir, openOptions{dryRun: req.DryRun, allowDowngrade: req.AllowDowngrade, allowDirty: req.AllowDirty})
	if err != nil {
		return nil, err
	}
	defer p.release()
	in, err := e.gatherUpdate(ctx, p, req)
	if err != nil {
		return nil, err
	}
	defer in.r.Close()
	o, err := e.decideUpdate(ctx, p, in, policy)
	if err != nil || o.refused() {
		return o.result(), err
	}
	return e.finishUpdate(ctx, p, in, o, req.DryRun)
}

// updateInput is what update gathers before deciding anything: the
// answers, what the catalog renders with them, and the project's root.
type updateInput struct {
	components []string
	all        map[string]any
	notices    []string
	rendered   *plan.Plan
	r          *os.Root
}

// gatherUpdate resolves the answers (asking only what the catalog added or
// the request changes) and renders every component with them.
func (e *Engine) gatherUpdate(ctx context.Context, p *project, req UpdateRequest) (*updateInput, error) {
	in := &updateInput{components: componentNames(p.manifest)}
	values, all, err := e.projectAnswers(ctx, p.root, p.manifest, in.components, answerInput{Set: req.Set, AnswersFile: req.AnswersFile, Prompter: req.Prompter, Change: true, notices: &in.notices})
	if err != nil {
		return nil, err
	}
	in.all = all
	if in.rendered, err = e.renderPlan(ctx, render.Input{Catalog: e.Catalog, Present: in.components, Answers: values}); err != nil {
		return nil, err
	}
	if in.r, err = os.OpenRoot(p.root); err != nil {
		return nil, fmt.Errorf("open project: %w", err)
	}
	return in, nil
}

// decideUpdate decides every path: each rendered file (or the move of a
// renamed one), then each recorded file the catalog no longer renders.
func (e *Engine) decideUpdate(ctx context.Context, p *project, in *updateInput, policy ConflictPolicy) (*outcome, error) {
	o := newOutcome(p, in.components)
	o.res.Notices = in.notices
	w := e.newWalk(ctx, p, in.r, o, policy)
	w.previous = true
	return o, w.walk(in.rendered.Files, true)
}

// finishUpdate builds the next manifest, audits the decided result and
// commits it.
func (e *Engine) finishUpdate(ctx context.Context, p *project, in *updateInput, o *outcome, dryRun bool) (*ProjectResult, error) {
	refs := make([]manifest.ComponentRef, 0, len(in.components))
	for _, name := range in.components {
		c, err := e.Catalog.Component(name)
		if err != nil {
			return nil, err
		}
		refs = append(refs, manifest.ComponentRef{Name: c.Name, Version: c.Version})
	}
	next := e.nextManifest(p.manifest, refs, e.catalogRef(), manifest.Records(o.generated), o)
	data, err := e.encodeManifest(next, in.all)
	if err != nil {
		return nil, err
	}
	if data, err = e.keepSettledConflicts(in.r, p.manifest, next, in.all, data, len(o.changes)); err != nil {
		return nil, err
	}
	// Security-aware update: the files it changes are audited as they are
	// and as decided; a control that fails only afterwards is a weakening.
	if !dryRun {
		if o.res.Weakenings, err = e.judge(ctx, p.root, o, in.components, in.all); err != nil {
			return nil, err
		}
	}
	if err := e.commit(ctx, p, o, in.r, data, o.generated, dryRun); err != nil {
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
func readState(disk *projectFiles, p string, want os.FileMode) (fileState, os.FileMode, error) {
	old, info, err := disk.read(p)
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

// keepSettledConflicts keeps the manifest as it is when an update writes no
// file and the only change to the manifest would be dropping conflicts the
// user has resolved (none still holds markers, or the project would have
// been refused): "0 file(s) written" leaves git status clean. The entries
// go at the next run that writes.
func (e *Engine) keepSettledConflicts(r *os.Root, old, next *manifest.Manifest, all map[string]any, data []byte, writes int) ([]byte, error) {
	if writes > 0 || len(next.Conflicts) > 0 || len(old.Conflicts) == 0 {
		return data, nil
	}
	onDisk, err := readProjectFile(r, manifest.FileName)
	if err != nil {
		return nil, err
	}
	next.Conflicts = slices.Clone(old.Conflicts)
	kept, err := e.encodeManifest(next, all)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(kept, onDisk) {
		return kept, nil
	}
	next.Conflicts = nil
	return data, nil
}
