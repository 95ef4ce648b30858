package writer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"syscall"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/plan"
)

// Change is one step of an in-place update of an existing project.
type Change struct {
	Path    string      // relative to the project root, checked by plan.CheckPath
	Remove  bool        // remove the file rather than write it
	Mode    fs.FileMode // of a written file: plan.ModeFile or plan.ModeExecutable
	Content []byte      // of a written file
	// Expect is the SHA-256 (hex) the file had when the change was planned,
	// or "" when it was absent. Apply refuses to start when the disk no
	// longer matches, and a recovery never clobbers a file edited since.
	Expect string
	// KeepCopy keeps a copy of Content until the transaction is finished,
	// so that a file reverted to Expect between a kill and the recovery
	// (git checkout -- . after an interrupted update) is applied again.
	// The engine asks for it only where nothing else would recognise the
	// reverted content: a file merged with the user's edits, whose old
	// content is the user's side. A replaced file reverted to the previous
	// render is recognised by update's re-apply rule, and the copy would
	// only cost a second write of every staged file.
	KeepCopy bool
}

// TxnDir is where Apply stages a transaction, relative to the project root.
const TxnDir = ".secgen/txn"

const (
	journalName  = "journal"
	manifestName = "manifest"
)

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// ManifestPath is where the manifest goes, relative to the root.
	ManifestPath string
	// FailAfter, when positive, stops Apply after that many steps as if the
	// process were killed there: nothing is cleaned up. A step is one staged
	// write, the journal's commit, one rename or removal, or the manifest's
	// rename. It is a fault-injection seam for tests.
	FailAfter int
}

// journal is the committed description of a transaction.
type journal struct {
	Entries  []journalEntry `json:"entries"`
	Manifest string         `json:"manifest"` // its path in the project
	// ManifestExpect is the SHA-256 of the manifest before the change
	// ("" when there was none).
	ManifestExpect string `json:"manifest_expect,omitempty"`
}

type journalEntry struct {
	Path   string `json:"path"`
	Remove bool   `json:"remove,omitempty"`
	Staged string `json:"staged,omitempty"` // name in TxnDir of the new content
	Expect string `json:"expect,omitempty"`
	Want   string `json:"want,omitempty"` // SHA-256 of the new content
}

// Apply changes the project at root in place, then writes the manifest, so
// that a kill at any moment leaves each file either old or new, and the
// manifest old until every change is done:
//
//  1. every new content and the new manifest are staged in TxnDir;
//  2. a journal naming every step is committed by one rename;
//  3. files are renamed into place (or removed), the manifest last;
//  4. TxnDir is removed.
//
// A kill before 2 leaves the project as it was; after 2, Recover (which
// Apply and every secgen command run first) rolls the journal forward. The
// caller must hold the project's lock.
func Apply(ctx context.Context, root string, changes []Change, manifest []byte, opt ApplyOptions) (err error) {
	if opt.ManifestPath == "" {
		return errors.New("apply: no manifest path")
	}
	if _, err := Recover(root); err != nil {
		return err
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("open project %s: %w", failure.Quote(root), err)
	}
	defer r.Close()
	steps := 0
	step := func() error {
		steps++
		if opt.FailAfter > 0 && steps > opt.FailAfter {
			return ErrInjected
		}
		return ctx.Err()
	}
	if err := checkChanges(r, changes); err != nil {
		return err
	}
	if err := mkdirAll(r, TxnDir); err != nil {
		return err
	}
	committed := false
	defer func() {
		if err != nil && !committed && !errors.Is(err, ErrInjected) {
			_ = r.RemoveAll(TxnDir)
			_ = r.Remove(path.Dir(TxnDir)) // only when empty
		}
	}()
	var j journal
	for i, c := range changes {
		e := journalEntry{Path: c.Path, Remove: c.Remove, Expect: c.Expect}
		if !c.Remove {
			if err := step(); err != nil {
				return err
			}
			e.Staged = strconv.Itoa(i)
			e.Want = sum(c.Content)
			stage := writeStaged
			if c.KeepCopy {
				stage = stageTwice
			}
			if err := stage(r, path.Join(TxnDir, e.Staged), c.Mode, c.Content); err != nil {
				return err
			}
		}
		j.Entries = append(j.Entries, e)
	}
	if err := step(); err != nil {
		return err
	}
	if err := stageTwice(r, path.Join(TxnDir, manifestName), plan.ModeFile, manifest); err != nil {
		return err
	}
	j.Manifest = opt.ManifestPath
	if j.ManifestExpect, err = hashFile(r, opt.ManifestPath); err != nil {
		return err
	}
	data, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode journal: %w", err)
	}
	if err := step(); err != nil {
		return err
	}
	if err := writeStaged(r, path.Join(TxnDir, journalName+".tmp"), plan.ModeFile, data); err != nil {
		return err
	}
	if err := r.Rename(path.Join(TxnDir, journalName+".tmp"), path.Join(TxnDir, journalName)); err != nil {
		return fmt.Errorf("commit journal: %w", err)
	}
	committed = true
	if _, err := rollForward(r, &j, step); err != nil {
		if errors.Is(err, ErrInjected) {
			return err
		}
		return fmt.Errorf("%w; run secgen again in this project to finish the change", err)
	}
	return nil
}

// checkChanges verifies, just before anything is staged, that every path is
// contained and still in the state the plan expected.
func checkChanges(r *os.Root, changes []Change) error {
	for _, c := range changes {
		if err := plan.CheckPath(c.Path); err != nil {
			return failure.Invalidf("refusing to write %s: %w", failure.Quote(c.Path), err)
		}
		if !c.Remove && (c.Mode&^0o777 != 0 || c.Mode == 0) {
			return fmt.Errorf("file %s has mode %v; only permission bits are written", c.Path, c.Mode)
		}
		if !c.Remove {
			if err := checkParents(r, c.Path); err != nil {
				return err
			}
		}
		got, err := hashFile(r, c.Path)
		if err != nil {
			return err
		}
		if got != c.Expect {
			return fmt.Errorf("%s changed while secgen was working; nothing was written, run the command again", c.Path)
		}
	}
	return nil
}

// checkParents refuses a path whose parent directories cannot be made
// because something else is in the way; after the journal's commit such a
// failure could not be undone.
func checkParents(r *os.Root, p string) error {
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		info, err := r.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue // the check goes on with the parent
		}
		if err != nil {
			return fmt.Errorf("inspect %s: %w", dir, err)
		}
		if !info.IsDir() {
			return failure.Invalidf("cannot write %s: %s is not a directory", failure.Quote(p), failure.Quote(dir))
		}
		return nil // the rest of the way up exists
	}
	return nil
}

// hashFile returns the SHA-256 of a regular file, "" when it is absent, and
// an error when something else is there.
func hashFile(r *os.Root, p string) (string, error) {
	info, err := r.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("inspect %s: %w", p, err)
	}
	if !info.Mode().IsRegular() {
		return "", failure.Invalidf("%s is not a regular file; secgen only replaces regular files", failure.Quote(p))
	}
	f, err := r.Open(p)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// writeStaged writes a fresh file, replacing a leftover. It is closed
// before any rename publishes it, so a kill never exposes partial content.
// There is no fsync: the guarantee is against a killed process, and on
// ext4 (auto_da_alloc) a rename over an existing file flushes it anyway.
func writeStaged(r *os.Root, name string, mode fs.FileMode, content []byte) error {
	if err := r.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stage %s: %w", name, err)
	}
	f, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("stage %s: %w", name, err)
	}
	_, werr := f.Write(content)
	if err := errors.Join(werr, f.Chmod(mode), f.Close()); err != nil {
		return fmt.Errorf("stage %s: %w", name, err)
	}
	return nil
}

// Recovered says what Recover did.
type Recovered struct {
	// RolledForward is true when an interrupted change was finished.
	RolledForward bool
	// Kept lists files edited since the interrupted change was planned:
	// secgen's content went beside them as <path>.secgen-new.
	Kept []string
}

// Recover finishes a change that a kill interrupted after its journal was
// committed, or discards one interrupted before. The caller must hold the
// project's lock.
func Recover(root string) (Recovered, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return Recovered{}, fmt.Errorf("open project %s: %w", failure.Quote(root), err)
	}
	defer r.Close()
	data, err := r.ReadFile(path.Join(TxnDir, journalName))
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := r.Lstat(TxnDir); serr == nil {
			if err := r.RemoveAll(TxnDir); err != nil {
				return Recovered{}, fmt.Errorf("discard an interrupted change: %w", err)
			}
			_ = r.Remove(path.Dir(TxnDir))
		}
		return Recovered{}, nil
	}
	if err != nil {
		return Recovered{}, fmt.Errorf("read journal: %w", err)
	}
	var j journal
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return Recovered{}, fmt.Errorf("%s/%s is corrupt (%v); remove %s and check the project by hand", TxnDir, journalName, err, TxnDir)
	}
	if err := plan.CheckPath(j.Manifest); err != nil {
		return Recovered{}, fmt.Errorf("%s/%s names a bad manifest path", TxnDir, journalName)
	}
	for _, e := range j.Entries {
		if err := plan.CheckPath(e.Path); err != nil {
			return Recovered{}, fmt.Errorf("%s/%s names a bad path %s", TxnDir, journalName, failure.Quote(e.Path))
		}
		if e.Staged != "" {
			if _, err := strconv.Atoi(e.Staged); err != nil {
				return Recovered{}, fmt.Errorf("%s/%s names a bad staged file", TxnDir, journalName)
			}
		}
	}
	kept, err := rollForward(r, &j, func() error { return nil })
	if err != nil {
		return Recovered{}, fmt.Errorf("finish an interrupted change: %w (fix the cause and run secgen again, or remove %s to abandon the change)", err, TxnDir)
	}
	return Recovered{RolledForward: true, Kept: kept}, nil
}

// rollForward performs a committed journal's steps; each is idempotent, so
// a journal can be rolled forward again after another interruption.
func rollForward(r *os.Root, j *journal, step func() error) (kept []string, err error) {
	for _, e := range j.Entries {
		if e.Remove {
			got, err := hashFile(r, e.Path)
			if err != nil {
				return nil, err
			}
			if got == "" || got != e.Expect {
				continue // gone already, or edited since: keep it
			}
			if err := step(); err != nil {
				return nil, err
			}
			if err := r.Remove(e.Path); err != nil {
				return nil, fmt.Errorf("remove %s: %w", e.Path, err)
			}
			removeEmptyParents(r, e.Path)
			continue
		}
		got, err := hashFile(r, e.Path)
		if err != nil {
			return nil, err
		}
		k, err := placeEntry(r, e, got, step)
		if err != nil {
			return nil, err
		}
		if k {
			kept = append(kept, e.Path)
		}
	}
	got, err := hashFile(r, j.Manifest)
	if err != nil {
		return nil, err
	}
	if err := place(r, manifestName, j.Manifest, got, j.ManifestExpect, "", step); err != nil {
		return nil, err
	}
	if err := r.RemoveAll(TxnDir); err != nil {
		return nil, fmt.Errorf("clean %s: %w", TxnDir, err)
	}
	_ = r.Remove(path.Dir(TxnDir)) // only when empty
	return kept, nil
}

// appliedSuffix names, in TxnDir, a second copy of a staged content (the
// manifest's, and a change's with KeepCopy). It stays until the
// transaction is finished, so a file the user reverts
// between a kill and the recovery (git checkout -- . after an interrupted
// update) is applied again. It is a copy, not a link: an edit in place of
// the file moved into place must not change it.
const appliedSuffix = ".applied"

// stageTwice stages content at p (in TxnDir), and its copy beside it.
func stageTwice(r *os.Root, p string, mode fs.FileMode, content []byte) error {
	if err := writeStaged(r, p, mode, content); err != nil {
		return err
	}
	return writeStaged(r, p+appliedSuffix, mode, content)
}

// placeEntry moves one entry's staged content into place; got is the
// SHA-256 of the file there now. It reports whether the file was kept
// because it was edited since the change was planned, in which case
// secgen's content goes beside it as <path>.secgen-new.
func placeEntry(r *os.Root, e journalEntry, got string, step func() error) (kept bool, err error) {
	staged := path.Join(TxnDir, e.Staged)
	_, serr := r.Lstat(staged)
	if errors.Is(serr, fs.ErrNotExist) || got == e.Expect || got == e.Want {
		return false, place(r, e.Staged, e.Path, got, e.Expect, e.Want, step)
	}
	// Edited after the change was planned (between a kill and this
	// recovery): never clobber it.
	if err := step(); err != nil {
		return false, err
	}
	side := e.Path + ".secgen-new"
	if err := mkdirAll(r, path.Dir(side)); err != nil {
		return false, err
	}
	if err := r.Rename(staged, side); err != nil {
		return false, fmt.Errorf("move %s into place: %w", side, err)
	}
	return true, nil
}

// place moves the content staged in TxnDir under name to target, whose
// SHA-256 is got now. Once moved, it is placed again (from its copy) only
// when target holds again what it held before the change (expect): a
// revert after an interrupted run converges to the finished change, while
// a later edit of the user's is left alone. want, when set, is the
// SHA-256 the copy must have.
func place(r *os.Root, name, target, got, expect, want string, step func() error) error {
	staged := path.Join(TxnDir, name)
	if _, err := r.Lstat(staged); errors.Is(err, fs.ErrNotExist) {
		if got != expect {
			return nil // in place, or changed since it was placed
		}
		copied := staged + appliedSuffix
		content, err := r.ReadFile(copied)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a journal without copies
		}
		if err != nil {
			return fmt.Errorf("re-apply %s: %w", target, err)
		}
		if want != "" && sum(content) != want {
			return fmt.Errorf("re-apply %s: %s%s is not what was staged", target, staged, appliedSuffix)
		}
		info, err := r.Lstat(copied)
		if err != nil {
			return fmt.Errorf("re-apply %s: %w", target, err)
		}
		if err := writeStaged(r, staged, info.Mode().Perm(), content); err != nil {
			return err
		}
	}
	if err := step(); err != nil {
		return err
	}
	if err := mkdirAll(r, path.Dir(target)); err != nil {
		return err
	}
	if err := r.Rename(staged, target); err != nil {
		return fmt.Errorf("move %s into place: %w", target, err)
	}
	return nil
}

// mkdirAll creates dir and its missing parents inside r. os.Root refuses
// any step that would leave r, including through a symbolic link.
func mkdirAll(r *os.Root, dir string) error {
	if dir == "." {
		return nil
	}
	if err := r.MkdirAll(dir, plan.ModeDir); err != nil {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	return nil
}

// removeEmptyParents removes the directories of p that a removal emptied.
func removeEmptyParents(r *os.Root, p string) {
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		if err := r.Remove(dir); err != nil {
			return // not empty, or not ours to remove
		}
	}
}
