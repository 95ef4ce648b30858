// Package gitinit creates a project's git repository and its initial commit
// with go-git, optionally signed with an OpenPGP key (SC-10).
package gitinit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/secgen/secgen/generator/failure"
)

// Author is a commit author.
type Author struct {
	Name  string
	Email string
}

// DefaultAuthor is used when neither --git-author nor the user's global git
// configuration names one.
func DefaultAuthor() Author {
	return Author{Name: "secgen", Email: "secgen@localhost"}
}

// ParseAuthor parses "Name <email>".
func ParseAuthor(s string) (Author, error) {
	for _, r := range s {
		if unicode.IsControl(r) {
			return Author{}, &failure.FieldError{Field: failure.FieldGitAuthor, Reason: "must be a single line of the form \"Name <email>\""}
		}
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || strings.TrimSpace(addr.Name) == "" || len(s) > 256 {
		return Author{}, &failure.FieldError{Field: failure.FieldGitAuthor, Value: s, Reason: "must have the form \"Name <email>\""}
	}
	return Author{Name: addr.Name, Email: addr.Address}, nil
}

// GlobalAuthor returns the author from the user's global git configuration,
// if it names both user.name and user.email.
func GlobalAuthor() (Author, bool) {
	cfg, err := config.LoadConfig(config.GlobalScope)
	if err != nil || cfg.User.Name == "" || cfg.User.Email == "" {
		return Author{}, false
	}
	a, err := ParseAuthor(fmt.Sprintf("%s <%s>", cfg.User.Name, cfg.User.Email))
	if err != nil {
		return Author{}, false
	}
	return a, true
}

// ReadSignKey reads an armored OpenPGP private key usable for signing. A
// passphrase-protected key is refused: secgen never asks for secrets (SEC-02).
func ReadSignKey(path string) (*openpgp.Entity, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &failure.FieldError{Prefix: "read ", Field: failure.FieldSignKey, Value: path, Err: err}
	}
	keys, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	if err != nil {
		return nil, &failure.FieldError{Field: failure.FieldSignKey, Value: path, Reason: "is not an armored OpenPGP key", Err: err}
	}
	for _, k := range keys {
		if k.PrivateKey == nil {
			continue
		}
		if k.PrivateKey.Encrypted {
			return nil, &failure.FieldError{Field: failure.FieldSignKey, Value: path, Reason: "is passphrase-protected; secgen never asks for a passphrase, so export an unprotected signing subkey or sign the commit yourself"}
		}
		return k, nil
	}
	return nil, &failure.FieldError{Field: failure.FieldSignKey, Value: path, Reason: "holds no private key"}
}

// Options describe the initial commit.
type Options struct {
	Author  Author
	Message string
	SignKey *openpgp.Entity // nil: unsigned
	When    time.Time       // zero: now
}

// InitAndCommit initialises a repository on branch main in dir, adds every
// file and makes one commit. It returns the commit hash.
func InitAndCommit(ctx context.Context, dir string, opt Options) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return "", fmt.Errorf("git init: %w", err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", fmt.Errorf("git worktree: %w", err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return "", fmt.Errorf("git add: %w", err)
	}
	when := opt.When
	if when.IsZero() {
		when = time.Now()
	}
	sig := &object.Signature{Name: opt.Author.Name, Email: opt.Author.Email, When: when}
	hash, err := wt.Commit(opt.Message, &git.CommitOptions{
		Author:    sig,
		Committer: sig,
		SignKey:   opt.SignKey,
	})
	if err != nil {
		return "", fmt.Errorf("git commit: %w", err)
	}
	if hash.IsZero() {
		return "", errors.New("git commit: no commit was created")
	}
	return hash.String(), nil
}

// Enclosing returns the work tree of the git repository that dir is inside
// (dir itself or one of its parents holds .git, a directory or a worktree
// pointer), or "" when there is none. A project made there belongs to that
// repository (a monorepo), which a nested one would hide it from.
func Enclosing(dir string) string {
	for d := filepath.Clean(dir); ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		up := filepath.Dir(d)
		if up == d {
			return ""
		}
		d = up
	}
}
