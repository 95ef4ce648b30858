package base

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	git "github.com/go-git/go-git/v5"
)

func TestBlobIDMatchesGit(t *testing.T) {
	// `printf 'hello\n' | git hash-object --stdin`
	if got := BlobID([]byte("hello\n")); got != "ce013625030ba8dba906f756967f9e9ca394464a" {
		t.Errorf("BlobID = %s", got)
	}
	// The empty blob.
	if got := BlobID(nil); got != "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391" {
		t.Errorf("BlobID(empty) = %s", got)
	}
}

func TestStoreWithoutGit(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if s.HasGit() {
		t.Fatal("a directory without .git has git")
	}
	id, err := s.Put([]byte("content\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".secgen", "base", id)); err != nil {
		t.Fatalf("base not stored under %s: %v", Dir, err)
	}
	got, err := s.Get(id)
	if err != nil || string(got) != "content\n" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if _, err := s.Get(BlobID([]byte("other"))); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a missing base: %v", err)
	}
	if _, err := s.Get("../../etc/passwd"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a path-like id: %v", err)
	}

	// A tampered base is refused rather than merged.
	if err := os.WriteFile(filepath.Join(root, ".secgen", "base", id), []byte("tampered\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(id); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("Get of a tampered base: %v", err)
	}

	keep, err := s.Put([]byte("keep\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Prune(root, map[string]bool{keep: true}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(root, ".secgen", "base"))
	if len(entries) != 1 || entries[0].Name() != keep {
		t.Errorf("after Prune: %v", entries)
	}
}

func TestStoreInGit(t *testing.T) {
	root := t.TempDir()
	if _, err := git.PlainInit(root, false); err != nil {
		t.Fatal(err)
	}
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if !s.HasGit() {
		t.Fatal("a git project has no git")
	}
	id, err := s.Put([]byte("generated\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".secgen")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a git project got a .secgen directory: %v", err)
	}
	// A fresh handle (a later secgen run) finds it in the object database.
	s2, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s2.Get(id)
	if err != nil || string(got) != "generated\n" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// git itself agrees, when it is installed.
	if gitBin, err := exec.LookPath("git"); err == nil {
		out, err := exec.Command(gitBin, "-C", root, "cat-file", "blob", id).Output()
		if err != nil || string(out) != "generated\n" {
			t.Errorf("git cat-file: %q, %v", out, err)
		}
	}
	// A project that later got git still finds bases stored before.
	if err := PutDir(root, []byte("old base\n")); err != nil {
		t.Fatal(err)
	}
	if got, err := s2.Get(BlobID([]byte("old base\n"))); err != nil || string(got) != "old base\n" {
		t.Errorf("Get falls back to %s: %q, %v", Dir, got, err)
	}
}

// TestLinksAtTheBaseDirectoryAreRefused plants .secgen as a link to a
// directory outside the project: storing must fail and write nothing there,
// and reading must not follow it.
func TestLinksAtTheBaseDirectoryAreRefused(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(outside, "base"), 0o755); err != nil {
		t.Fatal(err)
	}
	content := []byte("generated\n")
	if err := os.WriteFile(filepath.Join(outside, "base", BlobID(content)), content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, ".secgen")); err != nil {
		t.Fatal(err)
	}
	if err := PutDir(root, []byte("new\n")); err == nil {
		t.Fatal("stored a base through a symbolic link")
	}
	if _, err := os.Stat(filepath.Join(outside, "base", BlobID([]byte("new\n")))); err == nil {
		t.Fatal("a base was written outside the project")
	}
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(BlobID(content)); err == nil {
		t.Fatal("read a base through a symbolic link")
	}
	if err := Prune(root, nil); err == nil {
		if _, err := os.Stat(filepath.Join(outside, "base", BlobID(content))); err != nil {
			t.Fatal("Prune removed a file outside the project")
		}
	}
}
