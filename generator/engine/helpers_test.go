package engine

import (
	"strconv"
	"testing"

	"github.com/go-git/go-git/v5"

	"github.com/secgen/secgen/generator/plan"
)

func planFile(content []byte) plan.File { return plan.File{Content: content} }

func strconvItoa(i int) string { return strconv.Itoa(i) }

func mustWorktree(t *testing.T, repo *git.Repository) (*git.Worktree, error) {
	t.Helper()
	return repo.Worktree()
}
