package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/secgen/secgen/generator/failure"
)

// ErrDirty is matched by the refusal to change a project whose tracked
// files have uncommitted changes.
var ErrDirty = errors.New("uncommitted changes")

// checkClean refuses when tracked files of the project at root (in its git
// repository, which may start above root) have uncommitted changes, staged
// or not, so what secgen writes never mixes with work in progress.
// Untracked files do not count. A project without git is always clean.
func checkClean(root string) error {
	repo, err := git.PlainOpenWithOptions(root, &git.PlainOpenOptions{DetectDotGit: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open the project's git repository: %w", err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil // a bare repository has no work tree to be dirty
	}
	top := wt.Filesystem.Root()
	rel, err := filepath.Rel(top, root)
	if err != nil {
		return fmt.Errorf("locate the project in its repository: %w", err)
	}
	prefix := ""
	if rel != "." {
		prefix = filepath.ToSlash(rel) + "/"
	}
	dirty, err := changedTracked(repo, top, prefix)
	if err != nil {
		return fmt.Errorf("read git status: %w", err)
	}
	if len(dirty) == 0 {
		return nil
	}
	sort.Strings(dirty)
	const show = 10
	list := dirty
	if len(list) > show {
		list = append(list[:show:show], fmt.Sprintf("and %d more", len(dirty)-show))
	}
	return failure.Invalid(&refusal{fmt.Sprintf("%d tracked file(s) have uncommitted changes: %s; commit or stash them first", len(dirty), strings.Join(list, ", ")), ErrDirty})
}

// changedTracked lists the paths under prefix (relative to it) whose index
// entry differs from HEAD (staged) or whose file differs from the index
// (unstaged), as `git status` would, without hashing a file whose size and
// modification time match its index entry, as git does.
func changedTracked(repo *git.Repository, top, prefix string) ([]string, error) {
	idx, err := repo.Storer.Index()
	if err != nil {
		return nil, err
	}
	head, err := headFiles(repo, prefix)
	if err != nil {
		return nil, err
	}
	indexTime := indexModTime(top)
	var dirty []string
	seen := map[string]bool{}
	for _, e := range idx.Entries {
		if !strings.HasPrefix(e.Name, prefix) {
			continue
		}
		seen[e.Name] = true
		if h, ok := head[e.Name]; !ok || h != e.Hash {
			dirty = append(dirty, strings.TrimPrefix(e.Name, prefix))
			continue
		}
		changed, err := worktreeChanged(filepath.Join(top, filepath.FromSlash(e.Name)), e, indexTime)
		if err != nil {
			return nil, err
		}
		if changed {
			dirty = append(dirty, strings.TrimPrefix(e.Name, prefix))
		}
	}
	for name := range head {
		if !seen[name] {
			dirty = append(dirty, strings.TrimPrefix(name, prefix)) // deletion staged
		}
	}
	return dirty, nil
}

// headFiles are the blob ids of HEAD's files under prefix; none before the
// first commit.
func headFiles(repo *git.Repository, prefix string) (map[string]plumbing.Hash, error) {
	head := map[string]plumbing.Hash{}
	ref, err := repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return head, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := repo.CommitObject(ref.Hash())
	if err != nil {
		return nil, err
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, err
	}
	w := object.NewTreeWalker(tree, true, nil)
	defer w.Close()
	for {
		name, e, err := w.Next()
		if err == io.EOF {
			return head, nil
		}
		if err != nil {
			return nil, err
		}
		if e.Mode != filemode.Dir && strings.HasPrefix(name, prefix) {
			head[name] = e.Hash
		}
	}
}

// worktreeChanged reports whether the file at p differs from its index
// entry. A size and modification time equal to the entry's prove it is
// unchanged unless the file is as new as the index ("racy": hashed then).
func worktreeChanged(p string, e *index.Entry, indexTime int64) (bool, error) {
	info, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	var mode filemode.FileMode
	switch {
	case info.Mode()&os.ModeSymlink != 0:
		mode = filemode.Symlink
	case info.Mode().IsRegular() && info.Mode().Perm()&0o100 != 0:
		mode = filemode.Executable
	case info.Mode().IsRegular():
		mode = filemode.Regular
	default:
		return true, nil
	}
	if mode != e.Mode && e.Mode != filemode.Deprecated {
		return true, nil
	}
	if uint32(info.Size()) != e.Size {
		return true, nil
	}
	mt := info.ModTime()
	if mt.Equal(e.ModifiedAt) && mt.UnixNano() < indexTime {
		return false, nil
	}
	var content []byte
	if mode == filemode.Symlink {
		target, err := os.Readlink(p)
		if err != nil {
			return false, err
		}
		content = []byte(target)
	} else if content, err = os.ReadFile(p); err != nil {
		return false, err
	}
	return plumbing.ComputeHash(plumbing.BlobObject, content) != e.Hash, nil
}

// indexModTime is the modification time of the repository's index file,
// in nanoseconds (0 when unknown: every file is then hashed).
func indexModTime(top string) int64 {
	info, err := os.Stat(filepath.Join(top, ".git", "index"))
	if err != nil {
		return 0
	}
	return info.ModTime().UnixNano()
}
