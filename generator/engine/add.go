package engine

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/plan"
	projectpkg "github.com/secgen/secgen/generator/project"
	"github.com/secgen/secgen/generator/render"
)

// AddRequest asks to add one component to an existing project.
type AddRequest struct {
	Dir string // the project root; "" is the working directory
	// Project, when set, is the project opened by the project layer (Dir
	// is then ignored): its root and manifest are used as they were read.
	Project     *projectpkg.Project
	Component   string
	Set         []string // "key=value" answers for the new questions
	AnswersFile []byte
	Prompter    answers.Prompter
	DryRun      bool
	Conflict    ConflictPolicy // "" is ConflictFail
	// AllowDirty works even when tracked files have uncommitted changes.
	AllowDirty bool
	// AllowDowngrade accepts a catalog older than the recorded one.
	AllowDowngrade bool
}

// Add renders one more component into a project made by `secgen new` or
// adopted by `secgen init`, reusing the recorded answers and asking only the
// component's new questions. A file the component renders is created when
// absent and left alone when identical; one that exists and differs is a
// conflict, handled by req.Conflict. With ConflictFail and any conflict,
// nothing is written and the result lists them.
func (e *Engine) Add(ctx context.Context, req AddRequest) (*ProjectResult, error) {
	policy := req.Conflict
	switch policy {
	case "":
		policy = ConflictFail
	case ConflictFail, ConflictSkip, ConflictNew:
	default:
		return nil, failure.Invalid(fmt.Errorf("add offers conflict policies fail, skip and new, not %s", failure.Quote(string(policy))))
	}
	comp, err := e.Catalog.Component(req.Component)
	if err != nil {
		return nil, err
	}
	p, err := e.openProject(req.Project, req.Dir, openOptions{dryRun: req.DryRun, allowDowngrade: req.AllowDowngrade, allowDirty: req.AllowDirty})
	if err != nil {
		return nil, err
	}
	defer p.release()
	present := componentNames(p.manifest)
	if slices.Contains(present, comp.Name) {
		return nil, failure.Invalidf("component %s is already part of this project; run secgen update to bring it up to date", comp.Name)
	}
	for _, r := range comp.Requires {
		if !slices.Contains(present, r) {
			return nil, failure.Invalidf("component %s requires component %s, which this project does not have: add %s first", comp.Name, r, r)
		}
	}
	at := e.insertAt(p.manifest, comp.Name)
	components := slices.Insert(slices.Clone(present), at, comp.Name)
	values, all, err := e.projectAnswers(ctx, p.root, p.manifest, components, answerInput{Set: req.Set, AnswersFile: req.AnswersFile, Prompter: req.Prompter})
	if err != nil {
		return nil, err
	}
	// Every component is rendered with the new set of components: a file of
	// another component whose template reads the component list (the
	// Backstage entity's controls, for one) changes with it, and add merges
	// it like update would, so the project is what new would have made.
	full, err := e.renderPlan(ctx, render.Input{Catalog: e.Catalog, Present: components, Answers: values})
	if err != nil {
		return nil, err
	}
	var ownFiles, others []plan.File
	for _, f := range full.Files {
		if f.Component == comp.Name {
			ownFiles = append(ownFiles, f)
		} else {
			others = append(others, f)
		}
	}
	owner := map[string]string{}
	for _, f := range p.manifest.Files {
		owner[f.Path] = f.Component
	}
	for _, f := range ownFiles {
		if o, ok := owner[f.Path]; ok {
			return nil, failure.Invalidf("component %s renders %s, which component %s already owns", comp.Name, failure.Quote(f.Path), o)
		}
	}
	r, err := os.OpenRoot(p.root)
	if err != nil {
		return nil, fmt.Errorf("open project: %w", err)
	}
	defer r.Close()
	o := newOutcome(p, components)
	var generated []plan.File
	for _, f := range ownFiles {
		if p.manifest.Skipped(f.Path) {
			o.res.Skipped = append(o.res.Skipped, f.Path)
			continue
		}
		generated = append(generated, f)
		st, mode, err := readState(r, f.Path, f.Mode)
		if err != nil {
			return nil, err
		}
		st.New = f.Content
		d := decide(st, policy)
		if d.Action == ActionConflict && !st.NotRegular {
			d.Reason = fmt.Sprintf("exists and differs from what component %s renders", comp.Name)
		}
		var sideOld []byte
		if d.Side {
			if sideOld, err = sideContent(r, f.Path); err != nil {
				return nil, err
			}
			d.Reason = fmt.Sprintf("kept yours: it exists and differs from what component %s renders; secgen's version is in %s.secgen-new", comp.Name, f.Path)
		}
		o.record(f.Path, f.Component, st.Yours, sideOld, d, mode)
	}
	regenerated, err := e.rerender(ctx, p, r, o, others)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(o.res.Conflicts, Blocking) {
		// Nothing is written; the result lists every conflict.
		sort.Slice(o.res.Changes, func(i, j int) bool { return o.res.Changes[i].Path < o.res.Changes[j].Path })
		return o.res, nil
	}
	refs := slices.Insert(slices.Clone(p.manifest.Components), at, manifest.ComponentRef{Name: comp.Name, Version: comp.Version})
	records := append(manifest.Records(regenerated), manifest.Records(generated)...)
	for _, rec := range p.manifest.Files {
		if !slices.ContainsFunc(regenerated, func(f plan.File) bool { return f.Path == rec.Path }) {
			records = append(records, rec)
		}
	}
	sort.Slice(records, func(i, j int) bool { return records[i].Path < records[j].Path })
	generated = append(generated, regenerated...)
	next := e.nextManifest(p.manifest, refs, p.manifest.Catalog, records, o)
	data, err := e.encodeManifest(next, all)
	if err != nil {
		return nil, err
	}
	if err := e.commit(ctx, p, o, r, data, generated, req.DryRun); err != nil {
		return nil, err
	}
	return o.res, nil
}

// Blocking reports whether a conflict of add stopped it from writing
// anything: a file of the added component that exists and differs (under
// --conflict=fail). A conflict in another component's file, which adding
// changed, is merged with markers like update's and does not block.
func Blocking(c FileChange) bool { return c.Action == ActionConflict && c.New == nil }

// rerender decides, like update, the files of the project's other
// components whose rendering changed now that the component set grew: a
// file the user never changed is replaced, one the user changed is merged
// three ways against what secgen generated last (conflicts marked). It
// returns the files whose records change.
func (e *Engine) rerender(ctx context.Context, p *project, r *os.Root, o *outcome, files []plan.File) ([]plan.File, error) {
	records := map[string]manifest.FileRecord{}
	for _, f := range p.manifest.Files {
		records[f.Path] = f
	}
	bases := &baseFinder{ctx: ctx, e: e, root: p.root, m: p.manifest}
	var changed []plan.File
	for _, f := range files {
		rec, tracked := records[f.Path]
		if tracked && rec.SHA256 == f.SHA256() {
			continue // renders as it did: nothing to do
		}
		if p.manifest.Skipped(f.Path) {
			o.res.Skipped = append(o.res.Skipped, f.Path)
			continue
		}
		changed = append(changed, f)
		st, mode, err := readState(r, f.Path, f.Mode)
		if err != nil {
			return nil, err
		}
		st.Tracked, st.Recorded, st.New = tracked, rec.SHA256, f.Content
		if needsBase(st, ConflictMark) {
			if st.Base, st.BaseMissing, err = bases.find(rec); err != nil {
				return nil, err
			}
		}
		o.record(f.Path, f.Component, st.Yours, nil, decide(st, ConflictMark), mode)
	}
	return changed, nil
}

// insertAt is where a new component goes among the project's components:
// in the order of the project's blueprint when it lists the component (so
// `new --without X` then `add X` records what `new` would have), else last.
func (e *Engine) insertAt(m *manifest.Manifest, name string) int {
	bp, err := e.Catalog.Blueprint(m.Blueprint)
	if m.Blueprint == "" || err != nil {
		return len(m.Components)
	}
	rank := func(c string) int {
		if i := slices.Index(bp.Components, c); i >= 0 {
			return i
		}
		return len(bp.Components)
	}
	want := rank(name)
	if want == len(bp.Components) {
		return len(m.Components)
	}
	for i, c := range m.Components {
		if rank(c.Name) > want {
			return i
		}
	}
	return len(m.Components)
}
