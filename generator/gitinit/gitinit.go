// Package gitinit creates a project's git repository and its initial commit,
// optionally signed with an OpenPGP key (SC-10).
package gitinit

import (
	"bytes"
	"context"
	"fmt"
	"net/mail"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/plan"
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

// InitAndCommit initialises a repository on branch main in dir, where files
// have just been written, and makes one commit of them (all but those the
// project's own .gitignore files ignore, as git add -A would leave out). It
// returns the commit hash.
//
// The repository is written directly from the files' contents, which are
// in memory already: their blobs, trees and the commit go into one pack,
// and the index records each file's stat data, so git status is clean at
// once. Nothing is read back from disk but the files' stat data.
func InitAndCommit(ctx context.Context, dir string, files []plan.File, opt Options) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	entries := committed(files)
	objs := make([]object, 0, 2*len(entries)+1)
	for i := range entries {
		objs = append(objs, entries[i].blob)
	}
	trees := buildTrees(entries)
	objs = append(objs, trees...)
	when := opt.When
	if when.IsZero() {
		when = time.Now()
	}
	commit, err := commitObject(trees[len(trees)-1].hexID(), opt.Author, when, opt.Message, opt.SignKey)
	if err != nil {
		return "", err
	}
	objs = append(objs, commit)
	stats := make([]fileStat, len(entries))
	for i, e := range entries {
		info, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(e.path)))
		if err != nil {
			return "", fmt.Errorf("git add: %w", err)
		}
		stats[i] = statOf(info)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	gitDir := filepath.Join(dir, ".git")
	for _, d := range []string{"objects/pack", "objects/info", "refs/heads", "refs/tags"} {
		if err := os.MkdirAll(filepath.Join(gitDir, filepath.FromSlash(d)), 0o755); err != nil {
			return "", fmt.Errorf("git init: %w", err)
		}
	}
	if err := writePack(filepath.Join(gitDir, "objects", "pack"), objs); err != nil {
		return "", fmt.Errorf("git commit: %w", err)
	}
	for _, f := range []struct{ name, content string }{
		{"config", "[core]\n\tbare = false\n"},
		{"HEAD", "ref: refs/heads/main\n"},
		{"refs/heads/main", commit.hexID() + "\n"},
		{"index", string(indexFile(entries, stats))},
	} {
		if err := os.WriteFile(filepath.Join(gitDir, filepath.FromSlash(f.name)), []byte(f.content), 0o644); err != nil {
			return "", fmt.Errorf("git init: %w", err)
		}
	}
	return commit.hexID(), nil
}

// committed are the files git add -A would add, as blobs, sorted by path
// (files are a plan's, sorted already): every file but those that the
// .gitignore files among them ignore.
func committed(files []plan.File) []entry {
	var patterns []gitignore.Pattern
	for _, f := range files {
		if path.Base(f.Path) != ".gitignore" {
			continue
		}
		var domain []string
		if d := path.Dir(f.Path); d != "." {
			domain = strings.Split(d, "/")
			if gitignore.NewMatcher(patterns).Match(domain, true) {
				continue // git never reads the .gitignore of an ignored directory
			}
		}
		for _, line := range strings.Split(string(f.Content), "\n") {
			line = strings.TrimSuffix(line, "\r")
			if !strings.HasPrefix(line, "#") && strings.TrimSpace(line) != "" {
				patterns = append(patterns, gitignore.ParsePattern(line, domain))
			}
		}
	}
	m := gitignore.NewMatcher(patterns)
	entries := make([]entry, 0, len(files))
	for _, f := range files {
		if len(patterns) > 0 && m.Match(strings.Split(f.Path, "/"), false) {
			continue
		}
		entries = append(entries, entry{path: f.Path, exec: f.Mode == plan.ModeExecutable, blob: newObject(objBlob, f.Content)})
	}
	return entries
}

// invalidSignatureChars are dropped from an author's name and email, as
// git does: they would end the field.
var invalidSignatureChars = strings.NewReplacer("<", "", ">", "", "\n", "")

// commitObject is the root commit of tree, by author as author and
// committer at when, signed with key unless it is nil.
func commitObject(tree string, a Author, when time.Time, msg string, key *openpgp.Entity) (object, error) {
	u := max(when.Unix(), 0)
	sig := fmt.Sprintf("%s <%s> %d %s", invalidSignatureChars.Replace(a.Name), invalidSignatureChars.Replace(a.Email), u, when.Format("-0700"))
	head := "tree " + tree + "\nauthor " + sig + "\ncommitter " + sig
	body := "\n\n" + msg
	if key == nil {
		return newObject(objCommit, []byte(head+body)), nil
	}
	var armored bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&armored, key, strings.NewReader(head+body), nil); err != nil {
		return object{}, fmt.Errorf("git commit: sign: %w", err)
	}
	lines := strings.Split(strings.TrimSuffix(armored.String(), "\n"), "\n")
	return newObject(objCommit, []byte(head+"\ngpgsig "+strings.Join(lines, "\n ")+body)), nil
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
