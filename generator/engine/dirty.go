package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"

	"github.com/secgen/secgen/generator/failure"
)

// ErrDirty is matched by the refusal to change a project whose tracked
// files have uncommitted changes.
var ErrDirty = errors.New("uncommitted changes")

// checkClean refuses when tracked files of the project at root (in its git
// repository, which may start above root) have uncommitted changes, so what
// secgen writes never mixes with work in progress. A project without git
// is always clean.
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
	st, err := wt.StatusWithOptions(git.StatusOptions{Strategy: git.Preload})
	if err != nil {
		return fmt.Errorf("read git status: %w", err)
	}
	var dirty []string
	for p, s := range st {
		if !strings.HasPrefix(p, prefix) {
			continue
		}
		if s.Worktree == git.Untracked && s.Staging == git.Untracked {
			continue
		}
		if s.Worktree != git.Unmodified || s.Staging != git.Unmodified {
			dirty = append(dirty, strings.TrimPrefix(p, prefix))
		}
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
