package engine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"sort"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/plan"
	"github.com/secgen/secgen/generator/render"
	"github.com/secgen/secgen/generator/writer"
)

// AddRequest asks to add one component to an existing project.
type AddRequest struct {
	Dir         string // the project root; "" is the working directory
	Component   string
	Set         []string // "key=value" answers for the new questions
	AnswersFile []byte
	Prompter    answers.Prompter
	DryRun      bool
	Conflict    ConflictPolicy // "" is ConflictFail
	FailAfter   int            // the writer's fault-injection seam (tests only)
}

// Add renders one more component into a project made by `secgen new` or
// adopted by `secgen init`, reusing the recorded answers and asking only the
// component's new questions. A file the component renders is created when
// absent and left alone when identical; one that exists and differs is a
// conflict, handled by req.Conflict. With ConflictFail and any conflict,
// nothing is written and the result lists them.
func (e *Engine) Add(ctx context.Context, req AddRequest) (*ProjectResult, error) {
	policy := req.Conflict
	if policy == "" {
		policy = ConflictFail
	}
	comp, err := e.Catalog.Component(req.Component)
	if err != nil {
		return nil, err
	}
	p, err := e.openProject(req.Dir, req.DryRun)
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
	rendered, err := e.renderPlan(ctx, render.Input{Catalog: e.Catalog, Present: components, Render: []string{comp.Name}, Answers: values})
	if err != nil {
		return nil, err
	}
	owner := map[string]string{}
	for _, f := range p.manifest.Files {
		owner[f.Path] = f.Component
	}
	for _, f := range rendered.Files {
		if o, ok := owner[f.Path]; ok {
			return nil, failure.Invalidf("component %s renders %s, which component %s already owns", comp.Name, failure.Quote(f.Path), o)
		}
	}

	res := &ProjectResult{Root: p.root, Components: components, Recovered: p.recov.Kept, Finished: p.recov.RolledForward}
	var changes []writer.Change
	r, err := os.OpenRoot(p.root)
	if err != nil {
		return nil, fmt.Errorf("open project: %w", err)
	}
	defer r.Close()
	for _, f := range rendered.Files {
		old, err := readProjectFile(r, f.Path)
		fc := FileChange{Path: f.Path, Component: f.Component, Old: old, Mode: f.Mode}
		switch {
		case err == errNotRegular:
			fc.Action, fc.Reason = ActionConflict, "something other than a regular file is there"
		case err != nil:
			return nil, err
		case old == nil:
			fc.Action, fc.New = ActionCreate, f.Content
			changes = append(changes, writer.Change{Path: f.Path, Mode: f.Mode, Content: f.Content})
		case bytes.Equal(old, f.Content):
			fc.Action = ActionUnchanged
		default:
			fc.Reason = fmt.Sprintf("exists and differs from what component %s renders", comp.Name)
			switch policy {
			case ConflictSkip:
				fc.Action, fc.Reason = ActionSkip, "kept yours: it "+fc.Reason
			case ConflictNew:
				side := f.Path + ".secgen-new"
				sideOld, err := readProjectFile(r, side)
				if err == errNotRegular {
					return nil, failure.Invalidf("%s is not a regular file; cannot write secgen's version there", failure.Quote(side))
				}
				if err != nil {
					return nil, err
				}
				fc.Action, fc.New, fc.Written = ActionNew, f.Content, side
				fc.Reason = "kept yours: it " + fc.Reason + "; secgen's version is in " + side
				changes = append(changes, writer.Change{Path: side, Mode: f.Mode, Content: f.Content, Expect: expectOf(sideOld)})
			default:
				fc.Action = ActionConflict
			}
		}
		res.Changes = append(res.Changes, fc)
		if fc.Action == ActionConflict {
			res.Conflicts = append(res.Conflicts, fc)
		}
	}
	if len(res.Conflicts) > 0 && policy == ConflictFail {
		return res, nil
	}
	if len(res.Conflicts) > 0 {
		// Something that is not a regular file cannot be skipped over
		// safely: it would be claimed in the manifest.
		return nil, failure.Invalidf("%s is not a regular file; move it away and run secgen add again", failure.Quote(res.Conflicts[0].Path))
	}

	refs := slices.Insert(slices.Clone(p.manifest.Components), at, manifest.ComponentRef{Name: comp.Name, Version: comp.Version})
	records := append(slices.Clone(p.manifest.Files), manifest.Records(rendered.Files)...)
	data, err := e.buildManifest(p.manifest, refs, p.manifest.Catalog, all, records)
	if err != nil {
		return nil, err
	}
	oldManifest, err := readProjectFile(r, manifest.FileName)
	if err != nil {
		return nil, err
	}
	res.Changes = append(res.Changes, FileChange{Path: manifest.FileName, Component: "secgen", Action: ActionManifest, Old: oldManifest, New: data, Mode: plan.ModeFile})
	sort.Slice(res.Changes, func(i, j int) bool { return res.Changes[i].Path < res.Changes[j].Path })
	if req.DryRun {
		return res, nil
	}
	if _, err := storeBases(p.root, rendered.Files); err != nil {
		return nil, err
	}
	if err := writer.Apply(ctx, p.root, changes, data, writer.ApplyOptions{ManifestPath: manifest.FileName, FailAfter: req.FailAfter}); err != nil {
		return nil, err
	}
	res.Wrote = true
	return res, nil
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
