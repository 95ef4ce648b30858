package engine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"sort"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/catalog"
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
	// Review, when set with a Prompter, is shown the change before it is
	// written and may have a section of the new questions answered again
	// (not in a dry run, nor when conflicts stop add).
	Review Reviewer
}

// Add renders one more component into a project made by `secgen new` or
// adopted by `secgen init`, reusing the recorded answers and asking only the
// component's new questions. A file the component renders is created when
// absent and left alone when identical; one that exists and differs is a
// conflict, handled by req.Conflict. With ConflictFail and any conflict,
// nothing is written and the result lists them.
func (e *Engine) Add(ctx context.Context, req AddRequest) (*ProjectResult, error) {
	policy, err := conflictPolicy(req.Conflict, ConflictFail)
	if err != nil {
		return nil, err
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
	var again *answers.Redo // a section to answer again, after a review
	for {
		in, err := e.gatherAdd(ctx, p, comp, req, again)
		if err != nil {
			return nil, err
		}
		res, v, err := e.finishAdd(ctx, p, in, req, policy)
		in.r.Close()
		if err != nil || v.Edit == "" {
			return res, err
		}
		if again, err = redo(v, in.pending, &in.resolved); err != nil {
			return nil, err
		}
	}
}

// finishAdd decides the files of an add, has the change reviewed when a
// Reviewer is set, and commits it unless the review asks for an edit.
func (e *Engine) finishAdd(ctx context.Context, p *project, in *addInput, req AddRequest, policy ConflictPolicy) (*ProjectResult, Verdict, error) {
	o, regenerated, err := e.decideAdd(ctx, p, in, policy)
	if err != nil || o.refused() {
		return o.result(), Verdict{}, err
	}
	refs := slices.Insert(slices.Clone(p.manifest.Components), in.at, manifest.ComponentRef{Name: in.comp.Name, Version: in.comp.Version})
	next := e.nextManifest(p.manifest, refs, p.manifest.Catalog, addRecords(p.manifest, o.generated, regenerated), o)
	data, err := e.encodeManifest(next, in.all)
	if err != nil {
		return nil, Verdict{}, err
	}
	if req.Review != nil && req.Prompter != nil && !req.DryRun {
		in.pending.Component = in.comp.Name
		in.pending.Files = len(o.changes)
		if old, err := readProjectFile(in.r, manifest.FileName); err != nil {
			return nil, Verdict{}, err
		} else if !bytes.Equal(old, data) {
			in.pending.Files++
		}
		v, err := req.Review.Review(ctx, in.pending)
		if err != nil || v.Edit != "" {
			return nil, v, err
		}
	}
	if err := e.commit(ctx, p, o, in.r, data, append(o.generated, regenerated...), req.DryRun); err != nil {
		return nil, Verdict{}, err
	}
	return o.res, Verdict{}, nil
}

// addInput is what add gathers before deciding anything.
type addInput struct {
	comp       *catalog.Component
	at         int // where the component goes among the project's
	components []string
	all        map[string]any
	// own are the new component's files; others those of the project's
	// other components, rendered with the new component set.
	own, others []plan.File
	r           *os.Root
	// resolved is the resolution of the new questions, and pending what a
	// review is shown (Files and Component filled in once decided).
	resolved answers.Resolution
	pending  Pending
}

// gatherAdd checks the component can join the project, resolves its new
// answers and renders every component with the new component set: a file
// of another component whose template reads the component list (the
// Backstage entity's controls, for one) changes with it, and add merges it
// like update would, so the project is what new would have made.
func (e *Engine) gatherAdd(ctx context.Context, p *project, comp *catalog.Component, req AddRequest, again *answers.Redo) (*addInput, error) {
	present := componentNames(p.manifest)
	if slices.Contains(present, comp.Name) {
		return nil, failure.Invalidf("component %s is already part of this project; run secgen update to bring it up to date", comp.Name)
	}
	for _, r := range comp.Requires {
		if !slices.Contains(present, r) {
			return nil, failure.Invalidf("component %s requires component %s, which this project does not have: add %s first", comp.Name, r, r)
		}
	}
	in := &addInput{comp: comp, at: e.insertAt(p.manifest, comp.Name)}
	in.components = slices.Insert(slices.Clone(present), in.at, comp.Name)
	values, all, err := e.projectAnswers(ctx, p.root, p.manifest, in.components, answerInput{Set: req.Set, AnswersFile: req.AnswersFile, Prompter: req.Prompter, redo: again, resolved: &in.resolved})
	if err != nil {
		return nil, err
	}
	in.all = all
	questions, err := e.Catalog.Questions(in.components)
	if err != nil {
		return nil, err
	}
	in.pending = pending(p.root, in.components, questions, &in.resolved, 0)
	in.pending.Answers = values
	full, err := e.renderPlan(ctx, render.Input{Catalog: e.Catalog, Present: in.components, Answers: values})
	if err != nil {
		return nil, err
	}
	owner := map[string]string{}
	for _, f := range p.manifest.Files {
		owner[f.Path] = f.Component
	}
	for _, f := range full.Files {
		if f.Component != comp.Name {
			in.others = append(in.others, f)
			continue
		}
		if o, ok := owner[f.Path]; ok {
			return nil, failure.Invalidf("component %s renders %s, which component %s already owns", comp.Name, failure.Quote(f.Path), o)
		}
		in.own = append(in.own, f)
	}
	if in.r, err = os.OpenRoot(p.root); err != nil {
		return nil, fmt.Errorf("open project: %w", err)
	}
	return in, nil
}

// decideAdd decides the new component's files under the request's policy
// (one that exists and differs is a conflict), then the other components'
// files that the new component set changes, like update.
func (e *Engine) decideAdd(ctx context.Context, p *project, in *addInput, policy ConflictPolicy) (*outcome, []plan.File, error) {
	o := newOutcome(p, in.components)
	w := e.newWalk(ctx, p, in.r, o, policy)
	w.reason = func(d *decision, st fileState, f plan.File) {
		switch {
		case d.Action == ActionConflict && !st.NotRegular:
			d.Reason = fmt.Sprintf("exists and differs from what component %s renders", in.comp.Name)
			if d.Content != nil {
				d.Reason += "; every difference is marked"
			}
		case d.Side:
			d.Reason = fmt.Sprintf("kept yours: it exists and differs from what component %s renders; secgen's version is in %s.secgen-new", in.comp.Name, f.Path)
		}
	}
	if err := w.walk(in.own, false); err != nil {
		return nil, nil, err
	}
	regenerated, err := e.rerender(ctx, p, in.r, o, in.others)
	return o, regenerated, err
}

// addRecords are the manifest's file records after add: the new
// component's, the re-rendered ones, and the rest as recorded.
func addRecords(m *manifest.Manifest, generated, regenerated []plan.File) []manifest.FileRecord {
	records := append(manifest.Records(regenerated), manifest.Records(generated)...)
	changed := make(map[string]bool, len(regenerated))
	for _, f := range regenerated {
		changed[f.Path] = true
	}
	for _, rec := range m.Files {
		if !changed[rec.Path] {
			records = append(records, rec)
		}
	}
	sort.Slice(records, func(i, j int) bool { return records[i].Path < records[j].Path })
	return records
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
	w := e.newWalk(ctx, p, r, o, ConflictMark)
	var candidates []plan.File
	for _, f := range files {
		if rec, tracked := w.records[f.Path]; tracked && rec.SHA256 == f.SHA256() {
			continue // renders as it did: nothing to do
		}
		candidates = append(candidates, f)
	}
	// The walk lists the files it decides among those generated; add
	// records the re-rendered ones apart (addRecords), so they are taken
	// back out.
	generated := len(o.generated)
	if err := w.walk(candidates, false); err != nil {
		return nil, err
	}
	changed := slices.Clone(o.generated[generated:])
	o.generated = o.generated[:generated]
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
