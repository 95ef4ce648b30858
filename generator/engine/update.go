package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/secgen/secgen/generator/answers"
	"github.com/secgen/secgen/generator/audit"
	"github.com/secgen/secgen/generator/base"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/merge"
	"github.com/secgen/secgen/generator/plan"
	"github.com/secgen/secgen/generator/render"
	"github.com/secgen/secgen/generator/writer"
)

// UpdateRequest asks to re-apply the current catalog to a project.
type UpdateRequest struct {
	Dir         string // the project root; "" is the working directory
	Set         []string
	AnswersFile []byte
	Prompter    answers.Prompter
	DryRun      bool
	FailAfter   int // the writer's fault-injection seam (tests only)
}

// Update re-renders every component of a project with the current catalog
// and the recorded answers (asking only questions the catalog added). A
// file the user never changed is replaced; one the user changed is merged
// three ways against the content secgen wrote last time, and a conflict is
// written with markers and listed. A file the catalog no longer renders is
// removed when unchanged and otherwise kept and reported. The manifest is
// written last.
func (e *Engine) Update(ctx context.Context, req UpdateRequest) (*ProjectResult, error) {
	p, err := e.openProject(req.Dir, req.DryRun)
	if err != nil {
		return nil, err
	}
	defer p.release()
	components := componentNames(p.manifest)
	values, all, err := e.projectAnswers(ctx, p.root, p.manifest, components, answerInput{Set: req.Set, AnswersFile: req.AnswersFile, Prompter: req.Prompter})
	if err != nil {
		return nil, err
	}
	rendered, err := e.renderPlan(ctx, render.Input{Catalog: e.Catalog, Present: components, Answers: values})
	if err != nil {
		return nil, err
	}
	store, err := base.Open(p.root)
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
	res := &ProjectResult{Root: p.root, Components: components, Recovered: p.recov.Kept, Finished: p.recov.RolledForward}
	var changes []writer.Change
	add := func(fc FileChange, mode os.FileMode) {
		fc.Mode = mode
		res.Changes = append(res.Changes, fc)
		if fc.Action == ActionConflict {
			res.Conflicts = append(res.Conflicts, fc)
		}
		switch {
		case fc.Action == ActionRemove:
			changes = append(changes, writer.Change{Path: fc.Path, Remove: true, Expect: expectOf(fc.Old)})
		case fc.New != nil:
			changes = append(changes, writer.Change{Path: fc.Path, Mode: mode, Content: fc.New, Expect: expectOf(fc.Old)})
		}
	}
	seen := map[string]bool{}
	for _, f := range rendered.Files {
		seen[f.Path] = true
		old, err := readProjectFile(r, f.Path)
		if errors.Is(err, errNotRegular) {
			add(FileChange{Path: f.Path, Component: f.Component, Action: ActionConflict, Reason: "something other than a regular file is there; left alone"}, f.Mode)
			continue
		}
		if err != nil {
			return nil, err
		}
		fc, err := e.updateFile(r, store, f, records[f.Path], old)
		if err != nil {
			return nil, err
		}
		add(fc, f.Mode)
	}
	for _, rec := range p.manifest.Files {
		if seen[rec.Path] {
			continue
		}
		old, err := readProjectFile(r, rec.Path)
		switch {
		case errors.Is(err, errNotRegular):
			add(FileChange{Path: rec.Path, Component: rec.Component, Action: ActionKeep, Reason: "no longer generated; something other than a regular file is there, left alone"}, 0)
		case err != nil:
			return nil, err
		case old == nil:
			// Gone already; it is simply no longer recorded.
		case expectOf(old) == rec.SHA256:
			add(FileChange{Path: rec.Path, Component: rec.Component, Action: ActionRemove, Old: old}, 0)
		default:
			add(FileChange{Path: rec.Path, Component: rec.Component, Action: ActionKeep, Old: old, Reason: "no longer generated, but you changed it: kept, and no longer tracked"}, 0)
		}
	}

	refs := make([]manifest.ComponentRef, 0, len(components))
	for _, name := range components {
		c, err := e.Catalog.Component(name)
		if err != nil {
			return nil, err
		}
		refs = append(refs, manifest.ComponentRef{Name: c.Name, Version: c.Version})
	}
	newRecords := manifest.Records(rendered.Files)
	data, err := e.buildManifest(p.manifest, refs, e.catalogRef(), all, newRecords)
	if err != nil {
		return nil, err
	}
	oldManifest, err := readProjectFile(r, manifest.FileName)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(oldManifest, data) {
		res.Changes = append(res.Changes, FileChange{Path: manifest.FileName, Component: "secgen", Action: ActionManifest, Old: oldManifest, New: data, Mode: plan.ModeFile})
	}
	sort.Slice(res.Changes, func(i, j int) bool { return res.Changes[i].Path < res.Changes[j].Path })
	if req.DryRun {
		return res, nil
	}
	if _, err := storeBases(p.root, rendered.Files); err != nil {
		return nil, err
	}
	// Security-aware update: audit the files update changes before and
	// after writing them; a control that fails only afterwards is a
	// weakening.
	touched, actions := map[string]bool{}, map[string]Action{}
	for _, fc := range res.Changes {
		actions[fc.Path] = fc.Action
		if fc.Action == ActionMerge || fc.Action == ActionReplace || fc.Action == ActionCreate {
			touched[fc.Path] = true
		}
	}
	var sec *securityAudit
	var before map[string]audit.Finding
	if len(touched) > 0 {
		if sec, err = e.newSecurityAudit(p.root, components, all, touched); err != nil {
			return nil, err
		}
		if before, err = sec.failing(ctx); err != nil {
			return nil, err
		}
	}
	if len(changes) > 0 || !bytes.Equal(oldManifest, data) {
		if err := writer.Apply(ctx, p.root, changes, data, writer.ApplyOptions{ManifestPath: manifest.FileName, FailAfter: req.FailAfter}); err != nil {
			return nil, err
		}
	}
	if sec != nil {
		after, err := sec.failing(ctx)
		if err != nil {
			return nil, err
		}
		res.Weakenings = weakenings(before, after, actions)
	}
	if !store.HasGit() {
		keep := map[string]bool{}
		for _, rec := range newRecords {
			keep[rec.GitBlob] = true
		}
		if err := base.Prune(p.root, keep); err != nil {
			return nil, err
		}
	}
	res.Wrote = true
	return res, nil
}

// updateFile decides what update does with one rendered file, given its
// record in the manifest (zero when it had none) and its content on disk
// (nil when absent).
func (e *Engine) updateFile(r *os.Root, store *base.Store, f plan.File, rec manifest.FileRecord, old []byte) (FileChange, error) {
	fc := FileChange{Path: f.Path, Component: f.Component, Old: old}
	tracked := rec.Path != ""
	switch {
	case old == nil && !tracked:
		fc.Action, fc.New = ActionCreate, f.Content
		return fc, nil
	case old == nil:
		if rec.SHA256 == f.SHA256() {
			fc.Action, fc.Reason = ActionKeep, "you deleted it; it stays deleted"
		} else {
			fc.Action, fc.Reason = ActionConflict, "you deleted it and the template changed it; not restored"
		}
		return fc, nil
	case bytes.Equal(old, f.Content):
		fc.Action = ActionUnchanged
		if modeOf(r, f.Path) != f.Mode {
			fc.Action, fc.New = ActionReplace, f.Content // only the mode changes
		}
		return fc, nil
	case tracked && expectOf(old) == rec.SHA256:
		fc.Action, fc.New = ActionReplace, f.Content
		return fc, nil
	}
	// Both sides changed the file (or it appeared where the template now
	// renders one): merge against what secgen wrote last time.
	var m merge.Result
	switch {
	case !tracked:
		m = merge.Merge(nil, old, f.Content, mergeOptions)
	default:
		var baseContent []byte
		err := base.ErrNotFound
		if rec.GitBlob != "" {
			baseContent, err = store.Get(rec.GitBlob)
		}
		switch {
		case errors.Is(err, base.ErrNotFound):
			m = merge.TwoWay(old, f.Content, mergeOptions)
			fc.Reason = "what secgen wrote last time was not found, so every difference is marked"
		case err != nil:
			return fc, err
		default:
			m = merge.Merge(baseContent, old, f.Content, mergeOptions)
		}
	}
	if m.Clean() {
		if bytes.Equal(m.Content, old) {
			fc.Action = ActionUnchanged // the template's change was already there
		} else {
			fc.Action, fc.New = ActionMerge, m.Content
		}
		return fc, nil
	}
	fc.Action, fc.New = ActionConflict, m.Content
	if fc.Reason == "" {
		fc.Reason = fmt.Sprintf("you and the template changed the same lines: %d conflict(s), first at line %d", len(m.Conflicts), m.Conflicts[0].StartLine)
	}
	return fc, nil
}

func modeOf(r *os.Root, p string) os.FileMode {
	info, err := r.Lstat(p)
	if err != nil {
		return 0
	}
	if info.Mode().Perm()&0o100 != 0 {
		return plan.ModeExecutable
	}
	return plan.ModeFile
}
