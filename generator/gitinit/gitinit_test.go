package gitinit

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	gitobject "github.com/go-git/go-git/v5/plumbing/object"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/plan"
)

func TestParseAuthor(t *testing.T) {
	a, err := ParseAuthor("Ada Lovelace <ada@example.com>")
	if err != nil || a.Name != "Ada Lovelace" || a.Email != "ada@example.com" {
		t.Fatalf("ParseAuthor = %+v, %v", a, err)
	}
	for _, bad := range []string{"", "ada@example.com", "Ada", "Ada <ada@example.com>\nInjected: x", "<ada@example.com>"} {
		if _, err := ParseAuthor(bad); !failure.IsInvalidInput(err) {
			t.Errorf("ParseAuthor(%q) = %v, want invalid input", bad, err)
		}
	}
}

func TestGlobalAuthorReadsTheUsersConfig(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	if _, ok := GlobalAuthor(); ok {
		t.Fatal("an author was found without any configuration")
	}
	cfg := "[user]\n\tname = Grace Hopper\n\temail = grace@example.com\n"
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	a, ok := GlobalAuthor()
	if !ok || a.Name != "Grace Hopper" || a.Email != "grace@example.com" {
		t.Fatalf("GlobalAuthor = %+v, %v", a, ok)
	}
}

func TestReadSignKeyRefusals(t *testing.T) {
	dir := t.TempDir()
	notKey := filepath.Join(dir, "not.asc")
	if err := os.WriteFile(notKey, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing.asc"), notKey} {
		if _, err := ReadSignKey(p); !failure.IsInvalidInput(err) {
			t.Errorf("ReadSignKey(%s) = %v, want invalid input", p, err)
		}
	}
}

// repoFiles is a tree that exercises git's orderings and ignore rules:
// a file and a directory that sort differently with the directory's "/",
// an executable, nested directories and a nested .gitignore.
func repoFiles() []plan.File {
	files := []plan.File{
		{Path: ".gitignore", Mode: plan.ModeFile, Content: []byte("# local state\n*.key\n/bin/\n\n")},
		{Path: "a.b", Mode: plan.ModeFile, Content: []byte("a dot b\n")},
		{Path: "a-b/z", Mode: plan.ModeFile, Content: []byte("a dash b\n")},
		{Path: "a/x", Mode: plan.ModeFile, Content: []byte("x\n")},
		{Path: "a/deep/er/y", Mode: plan.ModeFile, Content: []byte("y\n")},
		{Path: "bin/tool", Mode: plan.ModeFile, Content: []byte("ignored: under /bin/\n")},
		{Path: "empty", Mode: plan.ModeFile, Content: nil},
		{Path: "run.sh", Mode: plan.ModeExecutable, Content: []byte("#!/bin/sh\necho hi\n")},
		{Path: "secret.key", Mode: plan.ModeFile, Content: []byte("ignored: *.key\n")},
		{Path: "sub/.gitignore", Mode: plan.ModeFile, Content: []byte("local.txt\n")},
		{Path: "sub/local.txt", Mode: plan.ModeFile, Content: []byte("ignored by sub/.gitignore\n")},
		{Path: "sub/kept.txt", Mode: plan.ModeFile, Content: bytes.Repeat([]byte("a long line that compresses well\n"), 500)},
	}
	p, err := plan.New(files)
	if err != nil {
		panic(err)
	}
	return p.Files
}

// writeFiles writes files under dir as the writer does.
func writeFiles(t *testing.T, dir string, files []plan.File) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Content, f.Mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
}

// gitOut runs git in dir and returns its output; a failure fails the test.
func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required: ", err)
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// referenceCommit is what go-git's own init, add -A and commit make of the
// same tree, which InitAndCommit wrote before it wrote objects itself.
func referenceCommit(t *testing.T, dir string, opt Options) string {
	t.Helper()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	sig := &gitobject.Signature{Name: opt.Author.Name, Email: opt.Author.Email, When: opt.When}
	hash, err := wt.Commit(opt.Message, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		t.Fatal(err)
	}
	return hash.String()
}

func TestInitAndCommitWritesWhatGitWould(t *testing.T) {
	t.Parallel()
	files := repoFiles()
	opt := Options{
		Author:  Author{Name: "Ada Lovelace", Email: "ada@example.com"},
		Message: "Initial commit\n\nwith a body.\n",
		When:    time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("IST", 5*3600+1800)),
	}
	dir, ref := filepath.Join(t.TempDir(), "p"), filepath.Join(t.TempDir(), "ref")
	writeFiles(t, dir, files)
	writeFiles(t, ref, files)
	hash, err := InitAndCommit(context.Background(), dir, files, opt)
	if err != nil {
		t.Fatal(err)
	}
	if want := referenceCommit(t, ref, opt); hash != want {
		t.Errorf("commit %s, want %s (go-git's, same tree, author and time)\n%s\nwant:\n%s", hash,
			want, gitOut(t, dir, "cat-file", "-p", hash), gitOut(t, ref, "cat-file", "-p", want))
	}
	if head := strings.TrimSpace(gitOut(t, dir, "rev-parse", "HEAD")); head != hash {
		t.Errorf("HEAD is %s, want %s", head, hash)
	}
	if branch := strings.TrimSpace(gitOut(t, dir, "symbolic-ref", "HEAD")); branch != "refs/heads/main" {
		t.Errorf("HEAD is on %s, want refs/heads/main", branch)
	}
	// The index's stat data is the files' own: git finds nothing to
	// refresh (diff-files trusts the stat data, and comes first: status refreshes the index).
	if d := gitOut(t, dir, "diff-files", "--name-only"); d != "" {
		t.Errorf("index stat data differs from the files:\n%s", d)
	}
	gitOut(t, dir, "fsck", "--strict", "--no-dangling", "--full")
	gitOut(t, dir, "verify-pack", "-v", filepath.Join(dir, ".git", "objects", "pack", packName(t, dir)))
	if st := gitOut(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("git status is not clean:\n%s", st)
	}
	if d := gitOut(t, dir, "diff", "HEAD", "--stat"); d != "" {
		t.Errorf("git diff HEAD is not empty:\n%s", d)
	}
	tracked := gitOut(t, dir, "ls-files", "-s")
	for _, want := range []string{"100755 ", "\trun.sh\n", "\ta-b/z\n", "\ta/deep/er/y\n", "\tempty\n", "\tsub/kept.txt\n"} {
		if !strings.Contains(tracked, want) {
			t.Errorf("ls-files -s has no %q:\n%s", want, tracked)
		}
	}
	for _, ignored := range []string{"secret.key", "bin/tool", "sub/local.txt"} {
		if strings.Contains(tracked, "\t"+ignored+"\n") {
			t.Errorf("%s is tracked, though .gitignore ignores it", ignored)
		}
	}
}

func TestSignedCommitVerifies(t *testing.T) {
	t.Parallel()
	entity, err := openpgp.NewEntity("Dev", "", "dev@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	files := repoFiles()
	dir := filepath.Join(t.TempDir(), "p")
	writeFiles(t, dir, files)
	hash, err := InitAndCommit(context.Background(), dir, files, Options{
		Author: Author{Name: "Dev", Email: "dev@example.com"}, Message: "signed", SignKey: entity,
	})
	if err != nil {
		t.Fatal(err)
	}
	gitOut(t, dir, "fsck", "--strict", "--no-dangling", "--full")
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(plumbing.NewHash(hash))
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	w, _ := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err := entity.Serialize(w); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	if _, err := c.Verify(pub.String()); err != nil {
		t.Fatalf("signature does not verify: %v\n%s", err, gitOut(t, dir, "cat-file", "-p", hash))
	}
	if c.Message != "signed" {
		t.Errorf("message %q", c.Message)
	}
}

// packName is the one pack InitAndCommit wrote.
func packName(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "pack-*.idx"))
	if err != nil || len(m) != 1 {
		t.Fatalf("packs: %v, %v", m, err)
	}
	return filepath.Base(m[0])
}
