// Package base keeps the content secgen generated for each file of a
// project, so `secgen update` can merge three ways: the base is what secgen
// wrote last time, found by its git blob id (recorded in the manifest).
//
// In a project with a git repository the bases live in its object database
// (exactly as `git hash-object -w` would store them); otherwise in
// .secgen/base/<blob id>. Both are content-addressed, so a lookup can never
// name a path outside the project.
package base

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/secgen/secgen/generator/lazyre"
	"github.com/secgen/secgen/generator/plan"
)

// Dir is the directory, relative to a project root, of the stored bases of
// a project without git.
const Dir = ".secgen/base"

// MaxSize bounds one stored base.
const MaxSize = 16 << 20

var idPattern = lazyre.New(`^[0-9a-f]{40}$`)

// ValidID reports whether id is a well-formed git blob id.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// BlobID returns the git blob id (SHA-1 of "blob <len>\x00" + content) of
// content, as `git hash-object` prints it.
func BlobID(content []byte) string {
	return plumbing.ComputeHash(plumbing.BlobObject, content).String()
}

// Store reads and writes bases of one project.
type Store struct {
	root string
	repo *git.Repository // nil when the project has no git repository
}

// Open returns the store of the project at root. A .git directory at root
// makes the git object database the store.
func Open(root string) (*Store, error) {
	s := &Store{root: root}
	info, err := os.Lstat(filepath.Join(root, ".git"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("inspect .git: %w", err)
	case !info.IsDir():
		// A worktree or submodule pointer: let go-git follow it.
	}
	repo, err := git.PlainOpen(root)
	if err != nil {
		return nil, fmt.Errorf("open the project's git repository: %w", err)
	}
	s.repo = repo
	return s, nil
}

// HasGit reports whether bases go to a git object database.
func (s *Store) HasGit() bool { return s.repo != nil }

// ErrNotFound says a base is in neither store.
var ErrNotFound = errors.New("base not found")

// Get returns the content of blob id, from git when the project has it,
// else from .secgen/base. The content is checked against id.
func (s *Store) Get(id string) ([]byte, error) {
	if !ValidID(id) {
		return nil, fmt.Errorf("malformed blob id %q", id)
	}
	if s.repo != nil {
		b, err := s.getGit(id)
		if err == nil || !errors.Is(err, ErrNotFound) {
			return b, err
		}
	}
	b, err := readDirBase(s.root, id)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read base %s: %w", id, err)
	}
	if BlobID(b) != id {
		return nil, fmt.Errorf("stored base %s is corrupt", id)
	}
	return b, nil
}

func (s *Store) getGit(id string) ([]byte, error) {
	obj, err := s.repo.Storer.EncodedObject(plumbing.BlobObject, plumbing.NewHash(id))
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read git blob %s: %w", id, err)
	}
	if obj.Size() > MaxSize {
		return nil, fmt.Errorf("git blob %s is larger than %d bytes", id, MaxSize)
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, fmt.Errorf("read git blob %s: %w", id, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read git blob %s: %w", id, err)
	}
	return b, nil
}

// Put stores content and returns its blob id. Storing is idempotent.
func (s *Store) Put(content []byte) (string, error) {
	id := BlobID(content)
	if s.repo != nil {
		if _, err := s.repo.Storer.EncodedObject(plumbing.BlobObject, plumbing.NewHash(id)); err == nil {
			return id, nil
		}
		obj := s.repo.Storer.NewEncodedObject()
		obj.SetType(plumbing.BlobObject)
		w, err := obj.Writer()
		if err != nil {
			return "", fmt.Errorf("store base in git: %w", err)
		}
		if _, err := w.Write(content); err != nil {
			return "", fmt.Errorf("store base in git: %w", err)
		}
		if err := w.Close(); err != nil {
			return "", fmt.Errorf("store base in git: %w", err)
		}
		if _, err := s.repo.Storer.SetEncodedObject(obj); err != nil {
			return "", fmt.Errorf("store base in git: %w", err)
		}
		return id, nil
	}
	return id, PutDir(s.root, content)
}

// Files returns the bases of contents as the files of a project's
// .secgen/base (one per distinct content, named by its blob id), for a
// writer that creates them in a new project's staging directory: the stage
// is renamed into place whole, so a base needs no rename of its own there.
func Files(contents [][]byte) []plan.File {
	seen := make(map[string]bool, len(contents))
	out := make([]plan.File, 0, len(contents))
	for _, c := range contents {
		id := BlobID(c)
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, plan.File{Path: Dir + "/" + id, Mode: plan.ModeFile, Content: c, Component: "secgen"})
	}
	return out
}

// PutDir stores content under root's .secgen/base, atomically.
func PutDir(root string, content []byte) error {
	return PutDirAll(root, [][]byte{content})
}

// PutDirAll stores each content under root's .secgen/base, atomically per
// base, through one os.Root: no link can send a base outside the project.
func PutDirAll(root string, contents [][]byte) error {
	dir, err := openDir(root, true)
	if err != nil {
		return err
	}
	defer dir.Close()
	for _, content := range contents {
		if err := put(dir, content); err != nil {
			return err
		}
	}
	return nil
}

func put(dir *os.Root, content []byte) error {
	id := BlobID(content)
	if info, err := dir.Lstat(id); err == nil && info.Mode().IsRegular() && info.Size() == int64(len(content)) {
		if b, err := dir.ReadFile(id); err == nil && bytes.Equal(b, content) {
			return nil
		}
	}
	tmp := ".tmp-" + id
	f, err := dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("store base: %w", err)
	}
	_, werr := f.Write(content)
	if err := errors.Join(werr, f.Chmod(0o644), f.Close()); err != nil {
		_ = dir.Remove(tmp)
		return fmt.Errorf("store base: %w", err)
	}
	if err := dir.Rename(tmp, id); err != nil {
		_ = dir.Remove(tmp)
		return fmt.Errorf("store base: %w", err)
	}
	return nil
}

// openDir opens root's .secgen/base as an os.Root, creating it when asked.
// .secgen and .secgen/base must be real directories: a symbolic link there is
// refused rather than followed.
func openDir(root string, create bool) (*os.Root, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open project: %w", err)
	}
	defer r.Close()
	for _, d := range []string{path.Dir(Dir), Dir} {
		info, err := r.Lstat(d)
		switch {
		case errors.Is(err, fs.ErrNotExist) && create:
			if err := r.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return nil, fmt.Errorf("create %s: %w", d, err)
			}
		case err != nil:
			return nil, err
		case !info.IsDir():
			return nil, fmt.Errorf("%s is not a directory (symbolic links are refused)", d)
		}
	}
	return r.OpenRoot(Dir)
}

// Prune removes the stored bases under .secgen/base that keep does not
// name. Bases in git are left to git.
func Prune(root string, keep map[string]bool) error {
	dir, err := openDir(root, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", Dir, err)
	}
	defer dir.Close()
	f, err := dir.Open(".")
	if err != nil {
		return fmt.Errorf("read %s: %w", Dir, err)
	}
	entries, err := f.ReadDir(-1)
	_ = f.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", Dir, err)
	}
	for _, e := range entries {
		if keep[e.Name()] || !e.Type().IsRegular() {
			continue
		}
		if err := dir.Remove(e.Name()); err != nil {
			return fmt.Errorf("prune %s: %w", Dir, err)
		}
	}
	return nil
}

// readDirBase reads base id from root's .secgen/base without following links.
func readDirBase(root, id string) ([]byte, error) {
	dir, err := openDir(root, false)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	info, err := dir.Lstat(id)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s/%s is not a regular file", Dir, id)
	}
	if info.Size() > MaxSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxSize)
	}
	return dir.ReadFile(id)
}
