package safefile_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"example.com/scratchpad/internal/safefile"
	"example.com/scratchpad/internal/validate"
)

func openDir(t *testing.T) (*safefile.Dir, string) {
	t.Helper()
	base := t.TempDir()
	dir := filepath.Join(base, "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// A file outside the root that an attack would like to reach.
	if err := os.WriteFile(filepath.Join(base, "outside.txt"), []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := safefile.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d, dir
}

// APP-02: files are written 0600 and read back.
func TestWriteReadMode0600(t *testing.T) {
	d, dir := openDir(t)
	if err := d.Write("note.txt", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	got, err := d.Read("note.txt")
	if err != nil || string(got) != "hello" {
		t.Fatalf("Read = %q, %v", got, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "note.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

// APP-02: traversal never leaves the directory.
func TestTraversalRejected(t *testing.T) {
	d, _ := openDir(t)
	for _, name := range []string{"../outside.txt", "../../etc/passwd", "/etc/passwd", "a/../../outside.txt", "..", "x\x00y"} {
		if _, err := d.Read(name); !errors.Is(err, validate.ErrInvalid) {
			t.Errorf("Read(%q) error = %v, want a validation error", name, err)
		}
		if err := d.Write(name, []byte("x")); !errors.Is(err, validate.ErrInvalid) {
			t.Errorf("Write(%q) error = %v, want a validation error", name, err)
		}
	}
}

// APP-02: even without the name check, os.Root keeps access inside.
func TestRootContainsTraversal(t *testing.T) {
	_, dir := openDir(t)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, err := root.Open("../outside.txt"); err == nil {
		t.Fatal("os.Root allowed ../outside.txt")
	}
}

// APP-02: symlinks are refused, whether they point outside or inside.
func TestSymlinksRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Log("symlinks need privileges on Windows; the os.Root containment still applies")
		return
	}
	d, dir := openDir(t)
	if err := os.WriteFile(filepath.Join(dir, "inside.txt"), []byte("inside"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "..", "outside.txt"), filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("inside.txt", filepath.Join(dir, "alias")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"escape", "alias"} {
		if _, err := d.Read(name); !errors.Is(err, safefile.ErrSymlink) {
			t.Errorf("Read(%q) error = %v, want ErrSymlink", name, err)
		}
		if err := d.Write(name, []byte("overwrite")); !errors.Is(err, safefile.ErrSymlink) {
			t.Errorf("Write(%q) error = %v, want ErrSymlink", name, err)
		}
	}
	outside, err := os.ReadFile(filepath.Join(dir, "..", "outside.txt"))
	if err != nil || string(outside) != "outside" {
		t.Fatalf("file outside the root changed: %q, %v", outside, err)
	}
}

func TestDirectoriesRefused(t *testing.T) {
	d, dir := openDir(t)
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read("sub"); !errors.Is(err, safefile.ErrNotRegular) {
		t.Fatalf("Read(dir) error = %v, want ErrNotRegular", err)
	}
}
