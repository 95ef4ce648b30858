package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"sort"
)

// Weakening is a control that held in a file before update and fails after
// it: update's merge (possibly clean) weakened the project.
type Weakening struct {
	Control      string
	ControlTitle string
	Rule         string
	File         string
	Line         int
	Message      string
	// Cause says which side brought the change: the catalog's new version
	// alone, or your changes merged with it.
	Cause string
}

// judge audits the result update decided, before anything is written: the
// files it creates, replaces or merges, as they are on disk and as they
// are to be. A control that holds now and fails afterwards is a weakening.
// Its cause is the catalog's new version when that version alone (the
// merged files replaced by what the catalog renders, without the user's
// side) fails it too; else it is the merge of the user's changes with it.
func (e *Engine) judge(ctx context.Context, root string, o *outcome, components []string, answers map[string]any) ([]Weakening, error) {
	touched, actions, overlay := decided(o.res.Changes)
	if len(touched) == 0 {
		return nil, nil
	}
	if e.Auditor == nil {
		return nil, errors.New("update: the engine has no auditor to judge the changes with")
	}
	rules, err := e.Auditor.Compile(e.Catalog, components)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open project: %w", err)
	}
	defer r.Close()
	disk := r.FS()
	req := AuditRequest{Root: root, Answers: answers, Only: touched, Files: disk}
	before, err := failing(ctx, rules, req)
	if err != nil {
		return nil, err
	}
	req.Files = newOverlayFS(disk, overlay)
	after, err := failing(ctx, rules, req)
	if err != nil {
		return nil, err
	}
	var alone map[string]AuditFinding
	if mergedWeakening(before, after, actions) {
		// The catalog's new version alone, without the user's side.
		catalogOnly := maps.Clone(overlay)
		maps.Copy(catalogOnly, o.rendered)
		req.Files = newOverlayFS(disk, catalogOnly)
		if alone, err = failing(ctx, rules, req); err != nil {
			return nil, err
		}
	}
	return weakenings(before, after, alone, actions), nil
}

// decided is what the audit needs of the decided changes: the paths
// created, replaced or merged (audited), every path's action, and the
// contents the project is to hold (nil: to be absent).
func decided(changes []FileChange) (map[string]bool, map[string]Action, map[string][]byte) {
	touched, actions, overlay := map[string]bool{}, map[string]Action{}, map[string][]byte{}
	for _, fc := range changes {
		actions[fc.Path] = fc.Action
		switch {
		case fc.Action == ActionMerge || fc.Action == ActionReplace || fc.Action == ActionCreate:
			touched[fc.Path] = true
			overlay[fc.Path] = fc.New
		case fc.Action == ActionRemove:
			overlay[fc.Path] = nil
		case fc.Writes() && fc.Written != "":
			overlay[fc.Written] = fc.New
		case fc.Writes():
			overlay[fc.Path] = fc.New
		}
	}
	return touched, actions, overlay
}

// mergedWeakening reports whether a control fails after but not before in
// a merged file, whose cause the catalog's version alone tells.
func mergedWeakening(before, after map[string]AuditFinding, actions map[string]Action) bool {
	for key, f := range after {
		if _, held := before[key]; !held && actions[f.File] == ActionMerge {
			return true
		}
	}
	return false
}

// failing returns the findings of the audit keyed by rule and file.
func failing(ctx context.Context, rules AuditRules, req AuditRequest) (map[string]AuditFinding, error) {
	findings, err := rules.Failing(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("audit the updated files: %w", err)
	}
	out := make(map[string]AuditFinding, len(findings))
	for _, f := range findings {
		out[f.Rule+"\x00"+f.File] = f
	}
	return out, nil
}

// weakenings lists the findings of after that were not in before, on the
// files update changed without conflict. A finding on a merged file is the
// merge's doing unless alone (the catalog's new version without the user's
// side) has it too.
func weakenings(before, after, alone map[string]AuditFinding, actions map[string]Action) []Weakening {
	var out []Weakening
	for key, f := range after {
		if _, ok := before[key]; ok {
			continue
		}
		cause := "the catalog's new version"
		switch actions[f.File] {
		case ActionMerge:
			if _, catalogs := alone[key]; !catalogs {
				cause = "your changes merged with the catalog's new version"
			}
		case ActionConflict:
			continue // reported as a conflict already
		}
		out = append(out, Weakening{Control: f.Control, ControlTitle: f.ControlTitle, Rule: f.Rule, File: f.File, Line: f.Line, Message: f.Message, Cause: cause})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}
