package engine

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"sort"

	"github.com/secgen/secgen/generator/base"
	"github.com/secgen/secgen/generator/manifest"
	"github.com/secgen/secgen/generator/plan"
	"github.com/secgen/secgen/generator/writer"
)

// outcome is what add, update or init decided for every path, before it
// is committed.
type outcome struct {
	res     *ProjectResult
	changes []writer.Change
	// owned are paths that became the user's (recorded under skip).
	owned []string
	// conflicted are paths written with conflict markers.
	conflicted []string
	// rendered holds, for each merged path, what the catalog's new version
	// renders there alone (without the user's side), to tell the cause of
	// a weakening.
	rendered map[string][]byte
	// generated are the files secgen generates in this run: their content
	// is what the manifest records (the base of the next merge).
	generated []plan.File
}

func newOutcome(p *project, components []string) *outcome {
	return &outcome{res: &ProjectResult{Root: p.root, Components: components, Recovered: p.recov.Kept, Finished: p.recov.RolledForward}, rendered: map[string][]byte{}}
}

// record adds one decision about path. old is the content on disk (nil
// when absent), sideOld that of <path>.secgen-new, and mode the mode to
// write with.
func (o *outcome) record(path, component string, old, sideOld []byte, d decision, mode fs.FileMode) {
	if d.Action == "" {
		return
	}
	fc := FileChange{Path: path, Component: component, Action: d.Action, Old: old, New: d.Content, Mode: mode, Reason: d.Reason}
	if d.Owned {
		o.owned = append(o.owned, path)
	}
	switch {
	case d.Action == ActionRemove:
		o.changes = append(o.changes, writer.Change{Path: path, Remove: true, Expect: expectOf(old)})
	case d.Side:
		fc.Written = path + ".secgen-new"
		o.changes = append(o.changes, writer.Change{Path: fc.Written, Mode: mode, Content: d.Content, Expect: expectOf(sideOld)})
	case d.Content != nil:
		// A merged file's old content is the user's side, which nothing
		// but the journal's copy recognises after a revert.
		keep := d.Action == ActionMerge || d.Action == ActionConflict
		o.changes = append(o.changes, writer.Change{Path: path, Mode: mode, Content: d.Content, Expect: expectOf(old), KeepCopy: keep})
	}
	if d.Action == ActionConflict {
		o.res.Conflicts = append(o.res.Conflicts, fc)
		if d.Content != nil {
			o.conflicted = append(o.conflicted, path)
		}
	}
	o.res.Changes = append(o.res.Changes, fc)
}

// commit is the one way add, update and init write: the manifest change
// joins the result, then (unless a dry run) every path is checked to be
// writable, the bases are stored, and the changes and the manifest go
// through one transaction (writer.Apply), the manifest last.
func (e *Engine) commit(ctx context.Context, p *project, o *outcome, r *os.Root, data []byte, generated []plan.File, dryRun bool) error {
	oldManifest, err := readProjectFile(r, manifest.FileName)
	if err != nil {
		return err
	}
	manifestChanged := !bytes.Equal(oldManifest, data)
	if manifestChanged {
		o.res.Changes = append(o.res.Changes, FileChange{Path: manifest.FileName, Component: "secgen", Action: ActionManifest, Old: oldManifest, New: data, Mode: plan.ModeFile})
	}
	sort.Slice(o.res.Changes, func(i, j int) bool { return o.res.Changes[i].Path < o.res.Changes[j].Path })
	if dryRun {
		return nil
	}
	if len(o.changes) > 0 || manifestChanged {
		if err := preflight(r, o.changes); err != nil {
			return err
		}
	}
	store, err := storeBases(p.root, freshBases(p.manifest, generated))
	if err != nil {
		return err
	}
	if len(o.changes) > 0 || manifestChanged {
		if err := writer.Apply(ctx, p.root, o.changes, data, writer.ApplyOptions{ManifestPath: manifest.FileName, FailAfter: e.failAfter}); err != nil {
			return err
		}
	}
	if !store.HasGit() {
		if err := pruneDirBases(p.root, generated, data); err != nil {
			return err
		}
	}
	o.res.Wrote = true
	return nil
}

// freshBases are the generated files whose content is not stored yet
// (bases recorded already were stored when they were recorded).
func freshBases(m *manifest.Manifest, generated []plan.File) []plan.File {
	stored := map[string]bool{}
	if m != nil {
		for _, rec := range m.Files {
			stored[rec.Path+"\x00"+rec.GitBlob] = true
		}
	}
	fresh := make([]plan.File, 0, len(generated))
	for _, f := range generated {
		if !stored[f.Path+"\x00"+base.BlobID(f.Content)] {
			fresh = append(fresh, f)
		}
	}
	return fresh
}

// pruneDirBases removes from .secgen/base the contents neither generated
// now nor recorded by the new manifest.
func pruneDirBases(root string, generated []plan.File, manifestData []byte) error {
	keep := map[string]bool{}
	for _, f := range generated {
		keep[base.BlobID(f.Content)] = true
	}
	m, err := manifest.Parse(manifestData)
	if err != nil {
		return err
	}
	for _, rec := range m.Files {
		keep[rec.GitBlob] = true
	}
	return base.Prune(root, keep)
}
